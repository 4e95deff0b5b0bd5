using Sluice.Server.Connections;

namespace Sluice.Server.Rooms;

/// <summary>One room's state; guarded by the <see cref="RoomRegistry"/>'s lock.</summary>
internal sealed class Room(string name, int historyCapacity, ulong baseline)
{
    public string Name { get; } = name;

    /// <summary>The subscribed connections, each with its membership in its protocol.</summary>
    public Dictionary<ClientConnection, RoomMember> Members { get; } = [];

    /// <summary>At most one entry per connection; only subscribed connections have one.</summary>
    public Dictionary<ClientConnection, PresenceEntry> Presence { get; } = [];

    /// <summary>Recent messages for resuming.</summary>
    public RoomHistory<RoomMessage> History { get; } = new(historyCapacity, baseline);

    /// <summary>Presence of connections on other cluster nodes, by node and that node's ref.</summary>
    public Dictionary<(string Node, string Ref), PresenceEntry> RemotePresence { get; } = [];

    /// <summary>Presence of this node's connections and, in a cluster, of the other nodes' ones.</summary>
    public IEnumerable<PresenceEntry> AllPresence => RemotePresence.Count == 0 ? Presence.Values : Presence.Values.Concat(RemotePresence.Values);

    /// <summary>Nobody is in the room and it has nothing left to replay: it can be dropped.</summary>
    public bool IsIdle => Members.Count == 0 && Presence.Count == 0 && RemotePresence.Count == 0 && History.Count == 0;
}
