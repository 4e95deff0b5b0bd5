using System.Text.Json;
using Sluice.Server.Rooms;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>Room messages as Supabase clients get them: <c>broadcast</c>, <c>presence_state</c> and <c>presence_diff</c> (SUPABASE_PROTOCOL.md §5, §6).</summary>
public static class SupabaseRoomFrames
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
