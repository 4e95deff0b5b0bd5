using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Rooms;
using Sluice.Server.RowSecurity;

namespace Sluice.Server.Http;

/// <summary>
/// <c>POST /api/broadcast</c> (Supabase's batch format <c>{"messages":[{"topic":…,"event":…,"payload":…}]}</c>) and
/// <c>POST /api/broadcast/{topic}/events/{event}</c> (the body is the payload), also under <c>/realtime/v1</c>:
/// publish into rooms. Needs a valid token (<c>Authorization: Bearer</c>, <c>?token=</c> or the <c>apikey</c> header); 401
/// otherwise. Everything is validated before anything is published: a 400 publishes nothing. Each message is then
/// authorized as Supabase authorizes it: a public one by the private-room rules (<see cref="RoomAccess.IsAllowed"/>), one
/// marked <c>private</c> (the batch's <c>"private": true</c>, the single route's <c>?private=true</c>) by
/// <see cref="PrivateTopicAuthorization"/> — once per distinct topic — and it goes to the topic's private channels only
/// (<see cref="PrivateTopicAuthorization.RoomOf"/>). The service role passes. A batch skips what is refused and still
/// answers 202 (as Supabase does); the single route answers 403 <c>forbidden</c>, or 503 <c>database_unavailable</c> when
/// the policies could not be asked.
/// </summary>
internal static partial class BroadcastEndpoint
{
    public const string BatchRoute = "/api/broadcast";
    public const string SingleRoute = "/api/broadcast/{topic}/events/{event}";
    public const string SupabaseBase = "/realtime/v1";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static async Task HandleBatchAsync(HttpContext context, RoomRegistry rooms, PrivateTopicAuthorization privateTopics, TokenValidator tokens,
        ILoggerFactory loggers)
    {
        var identity = await AuthenticateAsync(context, rooms, tokens);
        if (identity is null)
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

        var headersJson = AllHeadersJson(context);
        var decisions = new Dictionary<(string Room, bool Private), bool>();
        foreach (var (room, _, _, isPrivate) in messages)
        {
            if (decisions.ContainsKey((room, isPrivate)))
                continue;
            var (allowed, failure) = await MayPublishAsync(identity, room, isPrivate, rooms, privateTopics, headersJson, context.RequestAborted);
            if (failure is not null)
                LogPrivateCheckFailed(loggers.CreateLogger("Sluice.Broadcast"), room, failure.Failure, failure.Message);
            decisions[(room, isPrivate)] = allowed;
        }
        using (var activity = Observability.SluiceTelemetry.Source.StartActivity(Observability.SluiceTelemetry.BroadcastSpan))
        {
            activity?.SetTag(Observability.SluiceTelemetry.MessagesTag, messages.Count);
            foreach (var (room, eventName, payload, isPrivate) in messages)
            {
                // Refused: skipped, and the batch is still accepted, as Supabase does.
                if (decisions[(room, isPrivate)])
                    rooms.Publish(null, isPrivate ? privateTopics.RoomOf(room) : room, eventName, payload, self: false, ack: false, reference: null, out _);
            }
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    public static async Task HandleSingleAsync(string topic, string @event, HttpContext context, RoomRegistry rooms, PrivateTopicAuthorization privateTopics,
        TokenValidator tokens, ILoggerFactory loggers)
    {
        var identity = await AuthenticateAsync(context, rooms, tokens);
        if (identity is null)
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
        var isPrivate = string.Equals(context.Request.Query["private"], "true", StringComparison.OrdinalIgnoreCase);
        var (allowed, failure) = await MayPublishAsync(identity, room, isPrivate, rooms, privateTopics, AllHeadersJson(context), context.RequestAborted);
        if (failure is not null)
        {
            LogPrivateCheckFailed(loggers.CreateLogger("Sluice.Broadcast"), room, failure.Failure, failure.Message);
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.DatabaseUnavailable,
                "the policies on realtime.messages could not be asked; nothing was published");
            return;
        }
        if (!allowed)
        {
            await FailAsync(context, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, $"this token may not broadcast to {(isPrivate ? "the private topic " : "")}{room}");
            return;
        }
        using (var activity = Observability.SluiceTelemetry.Source.StartActivity(Observability.SluiceTelemetry.BroadcastSpan))
        {
            if (activity is not null)
            {
                activity.SetTag(Observability.SluiceTelemetry.MessagesTag, 1);
                activity.SetTag(Observability.SluiceTelemetry.RoomTag, room);
            }
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
            if (channel.ValueKind != JsonValueKind.String || !RoomChannels.TryParse(channel.GetString()!, out room, out error))
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
        room = topic.StartsWith(RoomChannels.SupabasePrefix, StringComparison.Ordinal) ? topic[RoomChannels.SupabasePrefix.Length..]
            : RoomChannels.HasPrefix(topic) ? topic[RoomChannels.Prefix.Length..]
            : topic;
        if (RoomChannels.IsValidName(room, out error))
            return true;
        error = $"\"topic\" is not a room name: {error}";
        return false;
    }

    private static bool IsValidEvent(string name, [NotNullWhen(false)] out string? error)
    {
        if (name.Length is 0 or > RoomChannels.MaxEventLength)
        {
            error = $"\"event\" must be 1-{RoomChannels.MaxEventLength} characters";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="identity"/> may publish to <paramref name="room"/>: a public message unless a private-room rule
    /// refuses it, a private one as <see cref="PrivateTopicAuthorization"/> decides (refused, with the failure, when the
    /// policies could not be asked).
    /// </summary>
    private static async Task<(bool Allowed, TopicProbeException? Failure)> MayPublishAsync(ConnectionIdentity identity, string room, bool isPrivate,
        RoomRegistry rooms, PrivateTopicAuthorization privateTopics, string headersJson, CancellationToken cancellationToken)
    {
        if (!isPrivate)
            return (rooms.Access.IsAllowed(identity, room, RoomActions.Publish), null);
        try
        {
            return ((await privateTopics.WriteAsync(identity, room, TopicExtension.Broadcast, headersJson, cancellationToken)).Allowed, null);
        }
        catch (TopicProbeException ex)
        {
            return (false, ex);
        }
    }

    /// <summary>The request's headers as a JSON object for <c>request.headers</c>, as Supabase passes them to the policies of an HTTP broadcast.</summary>
    private static string AllHeadersJson(HttpContext context) => RequestHeadersJson.All(context.Request.Headers);

    /// <summary>The request's token as an identity; null after answering 401 (503 when the signing keys are unavailable).</summary>
    private static async Task<ConnectionIdentity?> AuthenticateAsync(HttpContext context, RoomRegistry rooms, TokenValidator tokens)
    {
        AuthResult? refusal = null;
        ConnectionIdentity? identity = null;
        if (!RequestToken.TryRead(context.Request, out var token, out var tokenError))
            refusal = tokenError;
        else
        {
            token ??= context.Request.Headers["apikey"] is [{ Length: > 0 } apikey] ? apikey.Trim() : null;
            if (token is null)
                refusal = AuthResult.Failure(ErrorCodes.Unauthorized, "this endpoint needs a token: send Authorization: Bearer <token> or an apikey header");
            else
            {
                var result = await tokens.ValidateAsync(token, context.RequestAborted);
                if (!result.Succeeded)
                    refusal = result;
                else
                    identity = result.Identity;
            }
        }
        if (refusal is null)
            return identity;
        var unavailable = refusal.ErrorCode == ErrorCodes.AuthUnavailable;
        if (!unavailable)
            context.Response.Headers.WWWAuthenticate = "Bearer";
        await FailAsync(context, unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status401Unauthorized,
            refusal.ErrorCode!, refusal.ErrorMessage!);
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP broadcast: the policies on realtime.messages for topic {Topic} could not be asked ({Failure}: {Reason}); not published")]
    private static partial void LogPrivateCheckFailed(ILogger logger, string topic, TopicProbeFailure failure, string reason);

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
