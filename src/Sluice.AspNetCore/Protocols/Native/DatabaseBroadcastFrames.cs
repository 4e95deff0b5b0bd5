using Sluice.Protocol;
using Sluice.Server.Routing;

namespace Sluice.Server.Protocols.Native;

/// <summary>
/// The native frames of a room's database broadcasts (docs/rooms.md, "Database broadcasts"). Their position is
/// <c>database_offset</c>, a change-log offset, never the room's <c>offset</c>: the two streams resume separately.
/// </summary>
internal static class DatabaseBroadcastFrames
{
    /// <summary>
    /// <c>{"type":"database_broadcast","channel":…,"database_offset":…,"event":…,"payload":…,"id":…}</c>: the payload as
    /// stored (<c>jsonb</c> as PostgreSQL prints it, valid JSON), <c>id</c> the row's id (null when the row had none).
    /// </summary>
    public static byte[] Broadcast(string channel, in DatabaseBroadcastMessage message) =>
        NativeFrames.Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.DatabaseBroadcast);
            writer.WriteString("channel"u8, state.channel);
            writer.WriteString("database_offset"u8, state.message.Offset);
            writer.WriteString("event"u8, state.message.Event);
            writer.WritePropertyName("payload"u8);
            writer.WriteRawValue(state.message.Payload, skipInputValidation: true);
            if (state.message.Id is null)
                writer.WriteNull("id"u8);
            else
                writer.WriteString("id"u8, state.message.Id);
        }, (channel, message));

    /// <summary>
    /// <c>{"type":"database_resync_required","channel":…,"error":…}</c> (with <c>code</c> when an error ended them): the
    /// room's database broadcasts did not start or ended; the room goes on. Counted in <paramref name="metrics"/>.
    /// </summary>
    public static byte[] ResyncRequired(string channel, string reason, string? code, Observability.SluiceMetrics? metrics)
    {
        metrics?.ResyncRequired();
        return NativeFrames.Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.DatabaseResyncRequired);
            writer.WriteString("channel"u8, state.channel);
            writer.WriteString("error"u8, state.reason);
            if (state.code is not null)
                writer.WriteString("code"u8, state.code);
        }, (channel, reason, code));
    }
}
