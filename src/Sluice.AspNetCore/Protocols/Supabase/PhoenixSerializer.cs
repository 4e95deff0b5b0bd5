using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Server.Protocols.Messages;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// Reads and writes Phoenix channel frames as <c>@supabase/realtime-js</c> speaks them: vsn 1.0.0 JSON objects,
/// vsn 2.0.0 JSON arrays and the binary kind-3 "user broadcast push". The server only
/// ever sends text frames.
/// </summary>
internal static class PhoenixSerializer
{
    /// <summary>The binary kind of a client's user broadcast push (vsn 2.0.0).</summary>
    public const byte UserBroadcastPushKind = 3;

    /// <summary>The binary kind of a push with a binary payload (Phoenix's serializer); not supported, answered with an error.</summary>
    public const byte PushKind = 0;

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public static bool TryParseVersion(string? vsn, out PhoenixVersion version)
    {
        switch (vsn)
        {
            case null or "" or "1.0.0":
                version = PhoenixVersion.V1;
                return true;
            case "2.0.0":
                version = PhoenixVersion.V2;
                return true;
            default:
                version = default;
                return false;
        }
    }

    /// <summary>Parses a text frame; false (with a reason) when it is not a Phoenix message of <paramref name="version"/>.</summary>
    public static bool TryParseText(ReadOnlySpan<byte> frame, PhoenixVersion version, out PhoenixMessage? message, out string? error) =>
        TryParseText(frame, version, out message, out error, out _);

    /// <summary>
    /// Parses a text frame; false (with a reason) when it is not a Phoenix message of <paramref name="version"/>. A
    /// well-formed push whose strings are not valid Unicode (a lone surrogate escape) comes with a
    /// <paramref name="rejection"/> to answer it with, when it has a ref.
    /// </summary>
    public static bool TryParseText(ReadOnlySpan<byte> frame, PhoenixVersion version, out PhoenixMessage? message, out string? error,
        out PhoenixRejection? rejection)
    {
        message = null;
        rejection = null;
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(frame.ToArray());
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            error = "the frame is not JSON";
            return false;
        }
        if (!JsonStrings.AreValidUnicode(frame))
        {
            error = "invalid_json: " + JsonStrings.LoneSurrogateMessage;
            rejection = Rejection(root, version, error);
            return false;
        }
        if (version == PhoenixVersion.V2)
        {
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != 5)
            {
                error = "vsn 2.0.0 frames are arrays [join_ref, ref, topic, event, payload]";
                return false;
            }
            var topic = root[2];
            var eventName = root[3];
            if (topic.ValueKind != JsonValueKind.String || eventName.ValueKind != JsonValueKind.String)
            {
                error = "topic and event must be strings";
                return false;
            }
            message = new PhoenixMessage(RefText(root[0]), RefText(root[1]), topic.GetString()!, eventName.GetString()!, root[4]);
            error = null;
            return true;
        }
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("topic", out var v1Topic) || v1Topic.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("event", out var v1Event) || v1Event.ValueKind != JsonValueKind.String)
        {
            error = "vsn 1.0.0 frames are objects {topic, event, payload, ref, join_ref}";
            return false;
        }
        message = new PhoenixMessage(
            root.TryGetProperty("join_ref", out var joinRef) ? RefText(joinRef) : null,
            root.TryGetProperty("ref", out var reference) ? RefText(reference) : null,
            v1Topic.GetString()!, v1Event.GetString()!,
            root.TryGetProperty("payload", out var payload) ? payload : default);
        error = null;
        return true;
    }

    /// <summary>
    /// Parses a binary kind-3 user broadcast push into a <c>broadcast</c> message whose payload is
    /// <c>{"type":"broadcast","event":…,"payload":…}</c> (plus <c>meta</c> when the push carried metadata).
    /// A binary (encoding 0) user payload is not supported.
    /// </summary>
    public static bool TryParseBinary(ReadOnlySpan<byte> frame, out PhoenixMessage? message, out string? error) =>
        TryParseBinary(frame, out message, out error, out _);

    /// <summary>
    /// As <see cref="TryParseBinary(ReadOnlySpan{byte}, out PhoenixMessage?, out string?)"/>; a binary push of kind 0
    /// (Phoenix's push with a binary payload) is refused with a <paramref name="rejection"/> to answer it with, as an
    /// unknown event is.
    /// </summary>
    public static bool TryParseBinary(ReadOnlySpan<byte> frame, out PhoenixMessage? message, out string? error, out PhoenixRejection? rejection)
    {
        rejection = null;
        if (frame.Length >= 5 && frame[0] == PushKind)
        {
            var parsed = TryParseBinaryCore(frame, out message, out error);
            rejection = PushRejection(frame, error!);
            return parsed;
        }
        return TryParseBinaryCore(frame, out message, out error);
    }

    private static bool TryParseBinaryCore(ReadOnlySpan<byte> frame, out PhoenixMessage? message, out string? error)
    {
        message = null;
        if (frame.Length >= 5 && frame[0] == PushKind)
        {
            error = "UnsupportedEvent: binary pushes (kind 0) are not supported by this server; send JSON";
            return false;
        }
        if (frame.Length < 7 || frame[0] != UserBroadcastPushKind)
        {
            error = "the only binary frame accepted is a user broadcast push (kind 3)";
            return false;
        }
        int joinRefLength = frame[1], refLength = frame[2], topicLength = frame[3], eventLength = frame[4], metaLength = frame[5];
        var encoding = frame[6];
        var offset = 7;
        if (frame.Length < offset + joinRefLength + refLength + topicLength + eventLength + metaLength)
        {
            error = "the binary frame is shorter than its header says";
            return false;
        }
        var joinRef = Encoding.UTF8.GetString(frame.Slice(offset, joinRefLength));
        offset += joinRefLength;
        var reference = Encoding.UTF8.GetString(frame.Slice(offset, refLength));
        offset += refLength;
        var topic = Encoding.UTF8.GetString(frame.Slice(offset, topicLength));
        offset += topicLength;
        var userEvent = Encoding.UTF8.GetString(frame.Slice(offset, eventLength));
        offset += eventLength;
        var meta = frame.Slice(offset, metaLength);
        offset += metaLength;
        var userPayload = frame[offset..];
        if (encoding != 1)
        {
            error = "binary broadcast payloads are not supported; send JSON";
            return false;
        }

        var buffer = new ArrayBufferWriter<byte>(userPayload.Length + 64);
        try
        {
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "broadcast"u8);
                writer.WriteString("event"u8, userEvent);
                writer.WritePropertyName("payload"u8);
                if (userPayload.IsEmpty)
                {
                    writer.WriteStartObject();
                    writer.WriteEndObject();
                }
                else
                {
                    writer.WriteRawValue(userPayload, skipInputValidation: false);
                }
                if (!meta.IsEmpty)
                {
                    writer.WritePropertyName("meta"u8);
                    writer.WriteRawValue(meta, skipInputValidation: false);
                }
                writer.WriteEndObject();
            }
            using var document = JsonDocument.Parse(buffer.WrittenMemory);
            message = new PhoenixMessage(joinRef.Length == 0 ? null : joinRef, reference.Length == 0 ? null : reference, topic, "broadcast",
                document.RootElement.Clone())
            {
                Binary = true,
            };
        }
        catch (JsonException)
        {
            error = "the broadcast payload or metadata is not JSON";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Writes one server message as a text frame of <paramref name="version"/>; v1 frames carry no join_ref.</summary>
    public static byte[] Write<TState>(PhoenixVersion version, string? joinRef, string? reference, string topic, string eventName,
        Action<Utf8JsonWriter, TState> payload, TState state)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (version == PhoenixVersion.V2)
            {
                writer.WriteStartArray();
                WriteRef(writer, joinRef);
                WriteRef(writer, reference);
                writer.WriteStringValue(topic);
                writer.WriteStringValue(eventName);
                payload(writer, state);
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteString("topic"u8, topic);
                writer.WriteString("event"u8, eventName);
                writer.WritePropertyName("payload"u8);
                payload(writer, state);
                writer.WritePropertyName("ref"u8);
                WriteRef(writer, reference);
                writer.WriteEndObject();
            }
        }
        var frame = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 1024 * 1024)
            t_buffer = null;
        return frame;
    }

    /// <summary>The reply target of a text push: its ref (a string or number) and topic (a string) as sent; null without them.</summary>
    private static PhoenixRejection? Rejection(JsonElement root, PhoenixVersion version, string reason)
    {
        JsonElement joinRef = default, reference = default, topic = default;
        if (version == PhoenixVersion.V2 && root.ValueKind == JsonValueKind.Array && root.GetArrayLength() == 5)
        {
            joinRef = root[0];
            reference = root[1];
            topic = root[2];
        }
        else if (version == PhoenixVersion.V1 && root.ValueKind == JsonValueKind.Object)
        {
            root.TryGetProperty("join_ref", out joinRef);
            root.TryGetProperty("ref", out reference);
            root.TryGetProperty("topic", out topic);
        }
        if (reference.ValueKind is not (JsonValueKind.String or JsonValueKind.Number) || topic.ValueKind != JsonValueKind.String)
            return null;
        return new PhoenixRejection(joinRef.ValueKind is JsonValueKind.String or JsonValueKind.Number ? joinRef.GetRawText() : null,
            reference.GetRawText(), topic.GetRawText(), reason);
    }

    /// <summary>The reply target of a kind-0 binary push: [0, join_ref size, ref size, topic size, event size, …]; null without a ref.</summary>
    private static PhoenixRejection? PushRejection(ReadOnlySpan<byte> frame, string reason)
    {
        int joinRefLength = frame[1], refLength = frame[2], topicLength = frame[3];
        if (refLength == 0 || frame.Length < 5 + joinRefLength + refLength + topicLength)
            return null;
        var joinRef = Encoding.UTF8.GetString(frame.Slice(5, joinRefLength));
        var reference = Encoding.UTF8.GetString(frame.Slice(5 + joinRefLength, refLength));
        var topic = Encoding.UTF8.GetString(frame.Slice(5 + joinRefLength + refLength, topicLength));
        return new PhoenixRejection(joinRefLength == 0 ? null : JsonText(joinRef),
            JsonText(reference), JsonText(topic), reason);
    }

    /// <summary>A string as a JSON string literal.</summary>
    private static string JsonText(string value)
    {
        var buffer = new ArrayBufferWriter<byte>(value.Length + 2);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            writer.WriteStringValue(value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The error reply to a refused push: <c>phx_reply</c> <c>{"status":"error","response":{"reason":…}}</c> with its
    /// join_ref, ref and topic written back exactly as the client sent them.
    /// </summary>
    public static byte[] WriteRejection(PhoenixVersion version, PhoenixRejection rejection)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (version == PhoenixVersion.V2)
            {
                writer.WriteStartArray();
                WriteRaw(writer, rejection.JoinRefJson);
                writer.WriteRawValue(rejection.RefJson, skipInputValidation: true);
                writer.WriteRawValue(rejection.TopicJson, skipInputValidation: true);
                writer.WriteStringValue("phx_reply"u8);
                WriteErrorPayload(writer, rejection.Reason);
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteStartObject();
                writer.WritePropertyName("topic"u8);
                writer.WriteRawValue(rejection.TopicJson, skipInputValidation: true);
                writer.WriteString("event"u8, "phx_reply"u8);
                writer.WritePropertyName("payload"u8);
                WriteErrorPayload(writer, rejection.Reason);
                writer.WritePropertyName("ref"u8);
                writer.WriteRawValue(rejection.RefJson, skipInputValidation: true);
                writer.WriteEndObject();
            }
        }
        return buffer.WrittenSpan.ToArray();

        static void WriteRaw(Utf8JsonWriter writer, string? json)
        {
            if (json is null)
                writer.WriteNullValue();
            else
                writer.WriteRawValue(json, skipInputValidation: true);
        }

        static void WriteErrorPayload(Utf8JsonWriter writer, string reason)
        {
            writer.WriteStartObject();
            writer.WriteString("status"u8, "error"u8);
            writer.WritePropertyName("response"u8);
            writer.WriteStartObject();
            writer.WriteString("reason"u8, reason);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
    }

    private static void WriteRef(Utf8JsonWriter writer, string? reference)
    {
        if (reference is null)
            writer.WriteNullValue();
        else
            writer.WriteStringValue(reference);
    }

    private static string? RefText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.GetRawText(),
        _ => null,
    };
}
