using System.Buffers;
using System.Text.Json;
using Sluice.Protocol;

namespace Sluice.Client.Protocol;

/// <summary>Writes the frames the client sends, as UTF-8 JSON.</summary>
internal static class ClientFrames
{
    public static byte[] Heartbeat { get; } = """{"type":"heartbeat"}"""u8.ToArray();

    public static byte[] Subscribe(string channel, ChangeEvents events, string? filter, string? since, bool snapshot) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, FrameTypes.Subscribe);
            writer.WriteString("channel"u8, channel);
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
        });

    public static byte[] Auth(string token) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, FrameTypes.Auth);
            writer.WriteString("token"u8, token);
        });

    public static byte[] Unsubscribe(string channel) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, FrameTypes.Unsubscribe);
            writer.WriteString("channel"u8, channel);
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
