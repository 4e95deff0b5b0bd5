using Sluice.Protocol;
using Sluice.Server.Connections;

namespace Sluice.Server.Rooms;

/// <summary>One room's state; guarded by the <see cref="RoomRegistry"/>'s lock.</summary>
internal sealed class Room(string name, int historyCapacity, ulong baseline)
{
    public string Name { get; } = name;

    /// <summary>The native channel name, <c>room:&lt;name&gt;</c>.</summary>
    public string Channel { get; } = RoomChannel.ForName(name);

    public HashSet<ClientConnection> Subscribers { get; } = [];

    /// <summary>The subscribers on the Supabase protocol (also in <see cref="Subscribers"/>): they get Phoenix frames.</summary>
    public Dictionary<ClientConnection, PhoenixMember> Phoenix { get; } = [];

    /// <summary>The Supabase topic, <c>realtime:&lt;name&gt;</c>.</summary>
    public string Topic { get; } = Protocols.Supabase.SupabaseFrames.TopicPrefix + name;

    /// <summary>At most one entry per connection; only subscribed connections have one.</summary>
    public Dictionary<ClientConnection, PresenceEntry> Presence { get; } = [];

    /// <summary>Recent messages (serialized frames) for resuming.</summary>
    public RoomHistory<byte[]> History { get; } = new(historyCapacity, baseline);

    /// <summary>Nobody is in the room and it has nothing left to replay: it can be dropped.</summary>
    /// <summary>Presence of connections on other cluster nodes, by node and that node's ref.</summary>
    public Dictionary<(string Node, string Ref), PresenceEntry> RemotePresence { get; } = [];

    /// <summary>Presence of this node's connections and, in a cluster, of the other nodes' ones.</summary>
    public IEnumerable<PresenceEntry> AllPresence => RemotePresence.Count == 0 ? Presence.Values : Presence.Values.Concat(RemotePresence.Values);

    public bool IsIdle => Subscribers.Count == 0 && Presence.Count == 0 && RemotePresence.Count == 0 && History.Count == 0;
}
