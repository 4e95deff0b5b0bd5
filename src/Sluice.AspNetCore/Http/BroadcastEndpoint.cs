using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Rooms;

namespace Sluice.Server.Http;

/// <summary>
/// <c>POST /api/broadcast</c> (Supabase's batch format <c>{"messages":[{"topic":…,"event":…,"payload":…}]}</c>) and
/// <c>POST /api/broadcast/{topic}/events/{event}</c> (the body is the payload), also under <c>/realtime/v1</c>:
/// servers publish into rooms. Needs a token with the service role (<c>Authorization: Bearer</c>, <c>?token=</c> or
/// the <c>apikey</c> header); 401 otherwise. Everything is validated before anything is published: a 400 publishes
/// nothing. 202 with an empty body once every message is published. A message marked <c>private</c> (the batch's
/// <c>"private": true</c>, the single route's <c>?private=true</c>) goes to the topic's private channels only
/// (<see cref="PrivateTopicAuthorization.RoomOf"/>), as on Supabase.
/// </summary>
internal static class BroadcastEndpoint
{
    public const string BatchRoute = "/api/broadcast";
    public const string SingleRoute = "/api/broadcast/{topic}/events/{event}";
    public const string SupabaseBase = "/realtime/v1";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static async Task HandleBatchAsync(HttpContext context, RoomRegistry rooms, PrivateTopicAuthorization privateTopics, TokenValidator tokens)
    {
        if (!await AuthorizeAsync(context, rooms, tokens))
            return;
        var body = await ReadBodyAsync(context, rooms.Options.MaxHttpBodyBytes);
        if (body is null)
            return;

        var messages = new List<(string Room, string Event, byte[] Payload, bool Private)>();
        string? problem = null, code = ErrorCodes.InvalidField;
        try
        {
            using var document = JsonDocument.Parse(body, DocumentOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages", out var list))
                (problem, code) = ("the body must be {\"messages\":[{\"topic\":…,\"event\":…,\"payload\":…}]}", ErrorCodes.MissingField);
            else if (list.ValueKind != JsonValueKind.Array)
                problem = "\"messages\" must be an array";
            else
            {
                var index = 0;
                foreach (var item in list.EnumerateArray())
                {
                    if (!TryReadMessage(item, rooms.Options, out var message, out var error, out var errorCode))
                    {
                        (problem, code) = ($"messages[{index}]: {error}", errorCode);
                        break;
                    }
                    messages.Add(message);
                    index++;
                }
            }
        }
        catch (JsonException ex)
        {
            (problem, code) = ($"the body is not valid JSON: {ex.Message}", ErrorCodes.InvalidJson);
        }
        if (problem is not null)
        {
            await FailAsync(context, StatusCodes.Status400BadRequest, code, problem);
            return;
        }

        using (var activity = Observability.SluiceTelemetry.Source.StartActivity(Observability.SluiceTelemetry.BroadcastSpan))
        {
            activity?.SetTag(Observability.SluiceTelemetry.MessagesTag, messages.Count);
            foreach (var (room, eventName, payload, isPrivate) in messages)
                rooms.Publish(null, isPrivate ? privateTopics.RoomOf(room) : room, eventName, payload, self: false, ack: false, reference: null, out _);
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    public static async Task HandleSingleAsync(string topic, string @event, HttpContext context, RoomRegistry rooms, PrivateTopicAuthorization privateTopics,
        TokenValidator tokens)
    {
        if (!await AuthorizeAsync(context, rooms, tokens))
            return;
        if (!TryReadRoom(topic, out var room, out var error))
        {
            await FailAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidChannel, error);
            return;
        }
        if (!IsValidEvent(@event, out error))
        {
            await FailAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidField, error);
            return;
        }
        var body = await ReadBodyAsync(context, rooms.Options.MaxHttpBodyBytes);
        if (body is null)
            return;
        if (body.Length == 0)
        {
            await FailAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.MissingField, "the body must be the payload: a JSON value");
            return;
        }
        byte[] payload;
        try
        {
            using var document = JsonDocument.Parse(body, DocumentOptions);
            payload = Encoding.UTF8.GetBytes(document.RootElement.GetRawText());
        }
        catch (JsonException ex)
        {
            await FailAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidJson, $"the body is not valid JSON: {ex.Message}");
            return;
        }
        if (payload.Length > rooms.Options.MaxPayloadBytes)
        {
            await FailAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.PayloadTooLarge,
                $"the payload is larger than the maximum of {rooms.Options.MaxPayloadBytes} bytes");
            return;
        }
        using (var activity = Observability.SluiceTelemetry.Source.StartActivity(Observability.SluiceTelemetry.BroadcastSpan))
        {
            if (activity is not null)
            {
                activity.SetTag(Observability.SluiceTelemetry.MessagesTag, 1);
                activity.SetTag(Observability.SluiceTelemetry.RoomTag, room);
            }
            var isPrivate = string.Equals(context.Request.Query["private"], "true", StringComparison.OrdinalIgnoreCase);
            rooms.Publish(null, isPrivate ? privateTopics.RoomOf(room) : room, @event, payload, self: false, ack: false, reference: null, out _);
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private static bool TryReadMessage(JsonElement item, RoomOptions options, out (string Room, string Event, byte[] Payload, bool Private) message,
        out string? error, out string code)
    {
        message = default;
        code = ErrorCodes.InvalidField;
        if (item.ValueKind != JsonValueKind.Object)
        {
            error = "each message must be an object with \"topic\", \"event\" and \"payload\"";
            return false;
        }
        string? room;
        if (item.TryGetProperty("topic", out var topic) && topic.ValueKind != JsonValueKind.Null)
        {
            if (topic.ValueKind != JsonValueKind.String)
            {
                error = "\"topic\" must be a string";
                return false;
            }
            if (!TryReadRoom(topic.GetString()!, out room, out error))
            {
                code = ErrorCodes.InvalidChannel;
                return false;
            }
        }
        else if (item.TryGetProperty("channel", out var channel) && channel.ValueKind != JsonValueKind.Null)
        {
            if (channel.ValueKind != JsonValueKind.String || !RoomChannel.TryParse(channel.GetString()!, out room, out error))
            {
                error = "\"channel\" must be a room channel such as room:lobby";
                code = ErrorCodes.InvalidChannel;
                return false;
            }
        }
        else
        {
            error = "a message needs a \"topic\" (the room name)";
            code = ErrorCodes.MissingField;
            return false;
        }

        if (!item.TryGetProperty("event", out var eventElement) || eventElement.ValueKind == JsonValueKind.Null)
        {
            error = "a message needs an \"event\"";
            code = ErrorCodes.MissingField;
            return false;
        }
        if (eventElement.ValueKind != JsonValueKind.String || !IsValidEvent(eventElement.GetString()!, out error))
        {
            error ??= "\"event\" must be a string";
            return false;
        }
        if (!item.TryGetProperty("payload", out var payloadElement))
        {
            error = "a message needs a \"payload\"";
            code = ErrorCodes.MissingField;
            return false;
        }
        var payload = Encoding.UTF8.GetBytes(payloadElement.GetRawText());
        if (payload.Length > options.MaxPayloadBytes)
        {
            error = $"the payload is larger than the maximum of {options.MaxPayloadBytes} bytes";
            code = ErrorCodes.PayloadTooLarge;
            return false;
        }
        var isPrivate = false;
        if (item.TryGetProperty("private", out var privateElement) && privateElement.ValueKind != JsonValueKind.Null)
        {
            if (privateElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                error = "\"private\" must be true or false";
                return false;
            }
            isPrivate = privateElement.GetBoolean();
        }
        message = (room, eventElement.GetString()!, payload, isPrivate);
        error = null;
        return true;
    }

    /// <summary>A topic is a room name; Supabase's <c>realtime:</c> prefix and the native <c>room:</c> prefix are accepted too.</summary>
    private static bool TryReadRoom(string topic, out string room, [NotNullWhen(false)] out string? error)
    {
        room = topic.StartsWith(RoomChannel.SupabasePrefix, StringComparison.Ordinal) ? topic[RoomChannel.SupabasePrefix.Length..]
            : RoomChannel.HasPrefix(topic) ? topic[RoomChannel.Prefix.Length..]
            : topic;
        if (RoomChannel.IsValidName(room, out error))
            return true;
        error = $"\"topic\" is not a room name: {error}";
        return false;
    }

    private static bool IsValidEvent(string name, [NotNullWhen(false)] out string? error)
    {
        if (name.Length is 0 or > RoomChannel.MaxEventLength)
        {
            error = $"\"event\" must be 1-{RoomChannel.MaxEventLength} characters";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Passes requests whose token has the service role; answers the others with 401 (503 when keys are unavailable).</summary>
    private static async Task<bool> AuthorizeAsync(HttpContext context, RoomRegistry rooms, TokenValidator tokens)
    {
        AuthResult? refusal = null;
        if (!RequestToken.TryRead(context.Request, out var token, out var tokenError))
            refusal = tokenError;
        else
        {
            token ??= context.Request.Headers["apikey"] is [{ Length: > 0 } apikey] ? apikey.Trim() : null;
            if (token is null)
                refusal = AuthResult.Failure(ErrorCodes.Unauthorized, "this endpoint needs a service-role token: send Authorization: Bearer <token> or an apikey header");
            else
            {
                var result = await tokens.ValidateAsync(token, context.RequestAborted);
                if (!result.Succeeded)
                    refusal = result;
                else if (!rooms.Access.IsServiceRole(result.Identity))
                    refusal = AuthResult.Failure(ErrorCodes.Forbidden, $"this endpoint needs a token with the role {rooms.Options.ServiceRole}");
            }
        }
        if (refusal is null)
            return true;
        var unavailable = refusal.ErrorCode == ErrorCodes.AuthUnavailable;
        if (!unavailable)
            context.Response.Headers.WWWAuthenticate = "Bearer";
        await FailAsync(context, unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status401Unauthorized,
            refusal.ErrorCode!, refusal.ErrorMessage!);
        return false;
    }

    /// <summary>The whole body, or null (after answering 400 <c>payload_too_large</c>) when it exceeds <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, int limit)
    {
        if (context.Request.ContentLength > limit)
        {
            await FailAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.PayloadTooLarge, $"the body is larger than the maximum of {limit} bytes");
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                await FailAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.PayloadTooLarge, $"the body is larger than the maximum of {limit} bytes");
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static Task FailAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new BroadcastErrorResponse(message, code), ServerJsonContext.Default.BroadcastErrorResponse);
    }
}
