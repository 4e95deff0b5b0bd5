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
    /// The binary form for vsn 2.0.0 (kind 4): <c>[4, len(topic), len(event), len(metadata)=0,
    /// encoding=1 (JSON)]</c>, then topic, event and the JSON payload. Null when the topic or event is longer than 255
    /// bytes (then the JSON form is sent).
    /// </summary>
    public static byte[]? BinaryBroadcast(string topic, string eventName, ReadOnlyMemory<byte> payload)
    {
        var topicBytes = System.Text.Encoding.UTF8.GetByteCount(topic);
        var eventBytes = System.Text.Encoding.UTF8.GetByteCount(eventName);
        if (topicBytes > 255 || eventBytes > 255)
            return null;
        var frame = new byte[5 + topicBytes + eventBytes + payload.Length];
        frame[0] = 4;
        frame[1] = (byte)topicBytes;
        frame[2] = (byte)eventBytes;
        frame[3] = 0;
        frame[4] = 1;
        System.Text.Encoding.UTF8.GetBytes(topic, frame.AsSpan(5));
        System.Text.Encoding.UTF8.GetBytes(eventName, frame.AsSpan(5 + topicBytes));
        payload.Span.CopyTo(frame.AsSpan(5 + topicBytes + eventBytes));
        return frame;
    }

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
