using System.Text.Json;
using Sluice.Server.Rooms;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>Room messages as Supabase clients get them: <c>broadcast</c>, <c>presence_state</c> and <c>presence_diff</c>.</summary>
internal static class SupabaseRoomFrames
{
    /// <summary>Fan-out <c>broadcast</c> <c>{"type":"broadcast","event":…,"payload":…}</c> (join_ref and ref null).</summary>
    public static byte[] Broadcast(PhoenixVersion version, string topic, string eventName, ReadOnlyMemory<byte> payload) =>
        PhoenixSerializer.Write(version, null, null, topic, "broadcast", static (writer, state) =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "broadcast"u8);
            writer.WriteString("event"u8, state.eventName);
            writer.WritePropertyName("payload"u8);
            writer.WriteRawValue(state.payload.Span, skipInputValidation: true);
            writer.WriteEndObject();
        }, (eventName, payload));

    /// <summary>
    /// The binary form for vsn 2.0.0 (kind 4, Supabase's "user broadcast"): <c>[4, len(topic), len(event), len(meta),
    /// encoding=1 (JSON)]</c>, then topic, event, <paramref name="meta"/> (JSON, empty for none) and the JSON payload. Null
    /// when the topic, event or meta is longer than 255 bytes (then the JSON form is sent).
    /// </summary>
    public static byte[]? BinaryBroadcast(string topic, string eventName, ReadOnlyMemory<byte> payload, ReadOnlySpan<byte> meta = default)
    {
        var topicBytes = System.Text.Encoding.UTF8.GetByteCount(topic);
        var eventBytes = System.Text.Encoding.UTF8.GetByteCount(eventName);
        if (topicBytes > MaxBinaryField || eventBytes > MaxBinaryField || meta.Length > MaxBinaryField)
            return null;
        var frame = new byte[5 + topicBytes + eventBytes + meta.Length + payload.Length];
        frame[0] = UserBroadcastKind;
        frame[1] = (byte)topicBytes;
        frame[2] = (byte)eventBytes;
        frame[3] = (byte)meta.Length;
        frame[4] = JsonEncoding;
        System.Text.Encoding.UTF8.GetBytes(topic, frame.AsSpan(5));
        System.Text.Encoding.UTF8.GetBytes(eventName, frame.AsSpan(5 + topicBytes));
        meta.CopyTo(frame.AsSpan(5 + topicBytes + eventBytes));
        payload.Span.CopyTo(frame.AsSpan(5 + topicBytes + eventBytes + meta.Length));
        return frame;
    }

    /// <summary>The binary kind of a broadcast the server sends to vsn 2.0.0 clients.</summary>
    public const byte UserBroadcastKind = 4;

    /// <summary>The encoding byte of a JSON payload in a kind-4 frame (0 would be binary).</summary>
    public const byte JsonEncoding = 1;

    /// <summary>The longest topic, event or meta (UTF-8 bytes) a kind-4 frame can carry: their lengths are one byte each.</summary>
    public const int MaxBinaryField = 255;

    /// <summary><c>presence_state</c>: <c>{"&lt;key&gt;":{"metas":[{"phx_ref":…, …state}]}}</c>, pushed with the channel's join_ref.</summary>
    public static byte[] PresenceState(PhoenixVersion version, string joinRef, string topic, IEnumerable<PresenceEntry> entries) =>
        PhoenixSerializer.Write(version, joinRef, null, topic, "presence_state", static (writer, entries) => WriteGrouped(writer, entries), entries);

    /// <summary><c>presence_diff</c> <c>{"joins":{…},"leaves":{…}}</c>, fanned out with join_ref and ref null.</summary>
    public static byte[] PresenceDiff(PhoenixVersion version, string topic, PresenceEntry? join, PresenceEntry? leave) =>
        PhoenixSerializer.Write(version, null, null, topic, "presence_diff", static (writer, state) =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("joins"u8);
            WriteGrouped(writer, state.join is null ? [] : [state.join]);
            writer.WritePropertyName("leaves"u8);
            WriteGrouped(writer, state.leave is null ? [] : [state.leave]);
            writer.WriteEndObject();
        }, (join, leave));

    private static void WriteGrouped(Utf8JsonWriter writer, IEnumerable<PresenceEntry> entries)
    {
        writer.WriteStartObject();
        foreach (var group in entries.GroupBy(e => e.Key, StringComparer.Ordinal))
        {
            writer.WritePropertyName(group.Key);
            writer.WriteStartObject();
            writer.WritePropertyName("metas"u8);
            writer.WriteStartArray();
            foreach (var entry in group)
                WriteMeta(writer, entry);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    /// <summary>A meta: the tracked state's properties plus <c>phx_ref</c>.</summary>
    private static void WriteMeta(Utf8JsonWriter writer, PresenceEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteString("phx_ref"u8, entry.Ref);
        using (var state = JsonDocument.Parse(entry.State))
        {
            if (state.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in state.RootElement.EnumerateObject())
                {
                    if (!property.NameEquals("phx_ref"u8))
                        property.WriteTo(writer);
                }
            }
        }
        writer.WriteEndObject();
    }
}
