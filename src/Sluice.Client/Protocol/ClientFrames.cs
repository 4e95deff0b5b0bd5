using System.Buffers;
using System.Text.Json;
using Sluice.Protocol;

namespace Sluice.Client.Protocol;

/// <summary>Writes the frames the client sends, as UTF-8 JSON.</summary>
internal static class ClientFrames
{
    /// <summary>A heartbeat with a ref: the server answers only heartbeats that carry one, echoing it.</summary>
    public static byte[] Heartbeat(long reference) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, FrameTypes.Heartbeat);
            writer.WriteString("ref"u8, "hb" + reference.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });

    /// <summary>
    /// A subscribe; <paramref name="databaseSince"/> (rooms only) resumes the room's database broadcasts after it;
    /// <paramref name="id"/> (tables only) names one of several subscriptions of the table.
    /// </summary>
    public static byte[] Subscribe(string channel, ChangeEvents events, string? filter, string? since, bool snapshot, string? databaseSince = null,
        string? id = null) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, FrameTypes.Subscribe);
            writer.WriteString("channel"u8, channel);
            if (id is not null)
                writer.WriteString("id"u8, id);
            if (events != ChangeEvents.All)
            {
                writer.WriteStartArray("events"u8);
                if (events.HasFlag(ChangeEvents.Insert))
                    writer.WriteStringValue(ChangeTypes.Insert);
                if (events.HasFlag(ChangeEvents.Update))
                    writer.WriteStringValue(ChangeTypes.Update);
                if (events.HasFlag(ChangeEvents.Delete))
                    writer.WriteStringValue(ChangeTypes.Delete);
                if (events.HasFlag(ChangeEvents.Truncate))
                    writer.WriteStringValue(ChangeTypes.Truncate);
                writer.WriteEndArray();
            }
            if (filter is not null)
                writer.WriteString("filter"u8, filter);
            if (since is not null)
                writer.WriteString("since"u8, since);
            else if (snapshot)
                writer.WriteBoolean("snapshot"u8, true);
            // The changes replayed after since (or after the snapshot) several to a frame; a server without it ignores it.
            if (TableChannel.HasPrefix(channel) && (since is not null || snapshot))
                writer.WriteBoolean("batch_catch_up"u8, true);
            if (databaseSince is not null)
                writer.WriteString("database_since"u8, databaseSince);
        });

    public static byte[] Auth(string token) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, FrameTypes.Auth);
            writer.WriteString("token"u8, token);
        });

    public static byte[] Unsubscribe(string channel, string? id = null) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, FrameTypes.Unsubscribe);
            writer.WriteString("channel"u8, channel);
            if (id is not null)
                writer.WriteString("id"u8, id);
        });

    /// <summary>A room broadcast; <paramref name="payload"/> is UTF-8 JSON (any value).</summary>
    public static byte[] Broadcast(string channel, string @event, ReadOnlyMemory<byte> payload, bool self, bool ack, string reference) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, FrameTypes.Broadcast);
            writer.WriteString("channel"u8, channel);
            writer.WriteString("event"u8, @event);
            writer.WritePropertyName("payload"u8);
            writer.WriteRawValue(payload.Span);
            writer.WriteBoolean("self"u8, self);
            writer.WriteBoolean("ack"u8, ack);
            writer.WriteString("ref"u8, reference);
        });

    /// <summary>Tracks presence in a room with <paramref name="state"/> (a UTF-8 JSON object), or untracks when it is null.</summary>
    public static byte[] Presence(string channel, ReadOnlyMemory<byte>? state, string? key) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, FrameTypes.Presence);
            writer.WriteString("channel"u8, channel);
            if (state is { } json)
            {
                writer.WritePropertyName("state"u8);
                writer.WriteRawValue(json.Span);
            }
            else
                writer.WriteNull("state"u8);
            if (key is not null)
                writer.WriteString("key"u8, key);
        });

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
