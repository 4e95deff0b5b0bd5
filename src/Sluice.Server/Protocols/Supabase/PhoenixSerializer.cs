using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// Reads and writes Phoenix channel frames as <c>@supabase/realtime-js</c> speaks them: vsn 1.0.0 JSON objects,
/// vsn 2.0.0 JSON arrays and the binary kind-3 "user broadcast push" (SUPABASE_PROTOCOL.md §2). The server only
/// ever sends text frames.
/// </summary>
public static class PhoenixSerializer
{
    /// <summary>The binary kind of a client's user broadcast push (vsn 2.0.0).</summary>
    public const byte UserBroadcastPushKind = 3;

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
    public static bool TryParseText(ReadOnlySpan<byte> frame, PhoenixVersion version, out PhoenixMessage? message, out string? error)
    {
        message = null;
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
    public static bool TryParseBinary(ReadOnlySpan<byte> frame, out PhoenixMessage? message, out string? error)
    {
        message = null;
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
