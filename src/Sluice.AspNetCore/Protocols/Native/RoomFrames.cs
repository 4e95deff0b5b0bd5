using System.Text.Json;
using Sluice.Protocol;
using Sluice.Server.Rooms;

namespace Sluice.Server.Protocols.Native;

/// <summary>Serializes the server frames of room channels (docs/rooms.md); each is written once and shared by its receivers.</summary>
internal static class RoomFrames
{
    /// <summary><c>{"type":"broadcast","channel":…,"offset":…,"event":…,"payload":…}</c>: a room message.</summary>
    public static byte[] Broadcast(string channel, string offset, string eventName, ReadOnlyMemory<byte> payload) =>
        NativeFrames.Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.Broadcast);
            writer.WriteString("channel"u8, state.channel);
            writer.WriteString("offset"u8, state.offset);
            writer.WriteString("event"u8, state.eventName);
            writer.WritePropertyName("payload"u8);
            writer.WriteRawValue(state.payload.Span, skipInputValidation: true);
        }, (channel, offset, eventName, payload));

    /// <summary><c>{"type":"broadcast_ack","channel":…,"offset":…,"ref":…}</c> (<c>ref</c> only when the publish had one).</summary>
    public static byte[] BroadcastAck(string channel, string offset, string? reference) =>
        NativeFrames.Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.BroadcastAck);
            writer.WriteString("channel"u8, state.channel);
            writer.WriteString("offset"u8, state.offset);
            if (state.reference is not null)
                writer.WriteString("ref"u8, state.reference);
        }, (channel, offset, reference));

    /// <summary>An error frame that also echoes the <c>ref</c> of the broadcast it refuses.</summary>
    public static byte[] Error(string code, string message, string? channel, string? reference) =>
        reference is null
            ? NativeFrames.Error(code, message, channel)
            : NativeFrames.Write(static (writer, state) =>
            {
                writer.WriteString("type"u8, FrameTypes.Error);
                writer.WriteString("error"u8, state.message);
                writer.WriteString("code"u8, state.code);
                if (state.channel is not null)
                    writer.WriteString("channel"u8, state.channel);
                writer.WriteString("ref"u8, state.reference);
            }, (code, message, channel, reference));

    /// <summary><c>{"type":"presence_state","channel":…,"presences":[…]}</c>.</summary>
    public static byte[] PresenceState(string channel, IEnumerable<PresenceEntry> entries) =>
        NativeFrames.Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.PresenceState);
            writer.WriteString("channel"u8, state.channel);
            writer.WritePropertyName("presences"u8);
            WriteEntries(writer, state.entries);
        }, (channel, entries));

    /// <summary><c>{"type":"presence_diff","channel":…,"joins":[…],"leaves":[…]}</c>.</summary>
    public static byte[] PresenceDiff(string channel, PresenceEntry? join, PresenceEntry? leave) =>
        NativeFrames.Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.PresenceDiff);
            writer.WriteString("channel"u8, state.channel);
            writer.WritePropertyName("joins"u8);
            WriteEntries(writer, state.join is null ? [] : [state.join]);
            writer.WritePropertyName("leaves"u8);
            WriteEntries(writer, state.leave is null ? [] : [state.leave]);
        }, (channel, join, leave));

    private static void WriteEntries(Utf8JsonWriter writer, IEnumerable<PresenceEntry> entries)
    {
        writer.WriteStartArray();
        foreach (var entry in entries)
        {
            // {"key":…,"ref":…,"state":{…}}
            writer.WriteStartObject();
            writer.WriteString("key"u8, entry.Key);
            writer.WriteString("ref"u8, entry.Ref);
            writer.WritePropertyName("state"u8);
            writer.WriteRawValue(entry.State, skipInputValidation: true);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}
