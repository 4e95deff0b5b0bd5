using Sluice.Server.Connections;
using Sluice.Server.Rooms;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// A Supabase channel <c>realtime:&lt;name&gt;</c> joined to room <c>&lt;name&gt;</c> (the same room as native
/// <c>room:&lt;name&gt;</c>): broadcasts and presence as Phoenix frames of the connection's serializer version, the
/// <c>presence_state</c> with the channel's join_ref, and only when the join enabled presence. The join reply, leaves
/// and errors are the session's.
/// </summary>
/// <remarks>
/// A private channel left to the policies on <c>realtime.messages</c> joins a room of its own (<paramref name="topic"/> then
/// differs from the room's name) and receives broadcasts and presence only as far as those policies let it read them;
/// <see cref="ReceivesMessages"/> and <see cref="ReceivesPresence"/> are set by its session (at join, and again when the
/// token changes) and read under the room registry's lock.
/// </remarks>
internal sealed class SupabaseRoomMember(ClientConnection connection, string room, string topic, PhoenixVersion version, string joinRef, bool presenceState)
    : RoomMember(connection, room)
{
    private volatile bool _receivesMessages = true;
    private volatile bool _receivesPresence = true;

    /// <summary>Shared frames differ between the serializer versions, not between connections of one version.</summary>
    private static readonly int V1Slot = FrameCache.NewSlot();
    private static readonly int V2Slot = FrameCache.NewSlot();

    private int Slot => version == PhoenixVersion.V2 ? V2Slot : V1Slot;

    /// <summary>The topic, <c>realtime:&lt;name&gt;</c>.</summary>
    public string Topic { get; } = topic;

    public override bool ReceivesMessages => _receivesMessages;

    public override bool ReceivesPresence => _receivesPresence;

    /// <summary>What the channel may read from now on (a private channel's policies, checked again when its token changes).</summary>
    public void Allow(bool messages, bool presence)
    {
        _receivesMessages = messages;
        _receivesPresence = presence;
    }

    /// <summary>Nothing: the session replies to the join.</summary>
    public override byte[]? Subscribed(string offset) => null;

    public override byte[]? PresenceState(IEnumerable<PresenceEntry> entries) =>
        presenceState && _receivesPresence ? SupabaseRoomFrames.PresenceState(version, joinRef, Topic, entries) : null;

    /// <summary>Nothing: the session replies to the leave.</summary>
    public override byte[]? Unsubscribed() => null;

    /// <summary>A binary message goes to vsn 2.0.0 clients in the binary form (kind 4) when its topic and event fit it.</summary>
    public override OutboundFrame Message(RoomMessage message) =>
        message.Frames.GetOrAdd(Slot, (Topic, message, version), static state =>
        {
            var (topic, message, version) = state;
            if (message.Binary && version == PhoenixVersion.V2 && SupabaseRoomFrames.BinaryBroadcast(topic, message.Event, message.Payload) is { } binary)
                return new OutboundFrame(binary, binary: true);
            return new OutboundFrame(SupabaseRoomFrames.Broadcast(version, topic, message.Event, message.Payload));
        });

    public override OutboundFrame PresenceDiff(PresenceDiff diff) =>
        diff.Frames.GetOrAdd(Slot, (Topic, diff, version), static state =>
            new OutboundFrame(SupabaseRoomFrames.PresenceDiff(state.version, state.Topic, state.diff.Join, state.diff.Leave)));

    /// <summary>Nothing: the session replies to the push.</summary>
    public override byte[]? Published(string offset, string? reference) => null;

    /// <summary>Nothing: a Supabase connection's token refresh does not re-check its rooms (its channels end on expiry instead).</summary>
    public override byte[]? Ended(string code, string message) => null;

    /// <summary>Nothing: Supabase rooms are not resumed.</summary>
    public override byte[]? ResyncRequired(string reason) => null;
}
