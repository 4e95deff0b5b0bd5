using Sluice.Protocol;
using Sluice.Server.Connections;
using Sluice.Server.Rooms;

namespace Sluice.Server.Protocols.Native;

/// <summary>
/// A connection's subscription to room channel <c>room:&lt;name&gt;</c> on the native protocol (docs/rooms.md).
/// <paramref name="databaseOffset"/> is where the room's database broadcasts start for this subscription (in its <c>ack</c>);
/// null when it receives none.
/// </summary>
internal sealed class NativeRoomMember(ClientConnection connection, string room, string? databaseOffset = null) : RoomMember(connection, room)
{
    /// <summary>Native frames of a shared room event are the same for every native connection.</summary>
    private static readonly int Slot = FrameCache.NewSlot();

    /// <summary>The channel, <c>room:&lt;name&gt;</c>.</summary>
    public string Channel { get; } = RoomChannels.ForName(room);

    public override byte[]? Subscribed(string offset) => NativeFrames.Ack(Channel, offset, databaseOffset);

    public override byte[]? PresenceState(IEnumerable<PresenceEntry> entries) => RoomFrames.PresenceState(Channel, entries);

    public override byte[]? Unsubscribed() => NativeFrames.Unsubscribed(Channel);

    public override OutboundFrame Message(RoomMessage message) =>
        message.Frames.GetOrAdd(Slot, (Channel, message), static state =>
            new OutboundFrame(RoomFrames.Broadcast(state.Channel, state.message.Offset, state.message.Event, state.message.Payload)));

    public override OutboundFrame PresenceDiff(PresenceDiff diff) =>
        diff.Frames.GetOrAdd(Slot, (Channel, diff), static state => new OutboundFrame(RoomFrames.PresenceDiff(state.Channel, state.diff.Join, state.diff.Leave)));

    public override byte[]? Published(string offset, string? reference) => RoomFrames.BroadcastAck(Channel, offset, reference);

    public override byte[]? Ended(string code, string message) => NativeFrames.Error(code, message, Channel);

    public override byte[]? ResyncRequired(string reason) => NativeFrames.ResyncRequired(Channel, reason, Connection.Metrics);
}
