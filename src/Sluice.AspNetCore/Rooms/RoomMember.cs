using Sluice.Server.Connections;

namespace Sluice.Server.Rooms;

/// <summary>
/// One connection's subscription to one room, in the connection's protocol (implemented under <c>Protocols/</c>): turns
/// the room's protocol-neutral events into that protocol's frames. Shared events (<see cref="RoomMessage"/>,
/// <see cref="Rooms.PresenceDiff"/>) are serialized through their <see cref="FrameCache"/>, once per protocol. Called under
/// the <see cref="RoomRegistry"/>'s lock; null means the protocol sends nothing for the event.
/// </summary>
internal abstract class RoomMember(ClientConnection connection, string room)
{
    public ClientConnection Connection { get; } = connection;

    /// <summary>The room's name.</summary>
    public string Room { get; } = room;

    /// <summary>
    /// Whether the room's messages reach this member. False for a member allowed to join only for presence (a Supabase
    /// private channel whose policies let it read presence but not broadcasts). Read under the registry's lock; a protocol
    /// may change it while the membership lasts (a token change re-checks those policies).
    /// </summary>
    public virtual bool ReceivesMessages => true;

    /// <summary>Whether the room's presence (state and diffs) reaches this member; as <see cref="ReceivesMessages"/>.</summary>
    public virtual bool ReceivesPresence => true;

    /// <summary>The subscription is live from <paramref name="offset"/> (the room's newest message, or the <c>since</c> it resumes after).</summary>
    public abstract byte[]? Subscribed(string offset);

    /// <summary>The room's whole presence, sent when the subscription starts or resumes.</summary>
    public abstract byte[]? PresenceState(IEnumerable<PresenceEntry> entries);

    /// <summary>The client asked to leave and did.</summary>
    public abstract byte[]? Unsubscribed();

    /// <summary>A message of the room (live or replayed).</summary>
    public abstract OutboundFrame Message(RoomMessage message);

    /// <summary>A change of the room's presence.</summary>
    public abstract OutboundFrame PresenceDiff(PresenceDiff diff);

    /// <summary>The member's own publish got <paramref name="offset"/> (it asked for an acknowledgement).</summary>
    public abstract byte[]? Published(string offset, string? reference);

    /// <summary>The subscription ended with the error <paramref name="code"/> (the connection's new token does not admit it).</summary>
    public abstract byte[]? Ended(string code, string message);

    /// <summary>The subscription ended because messages it missed left the history: subscribe again.</summary>
    public abstract byte[]? ResyncRequired(string reason);
}
