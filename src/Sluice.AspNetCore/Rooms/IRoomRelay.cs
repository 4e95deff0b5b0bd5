namespace Sluice.Server.Rooms;

/// <summary>
/// Carries what happens in this node's rooms to the other nodes of a cluster (<see cref="Cluster.ClusterRooms"/>); none on
/// a single node. Called under the registry's lock: implementations only queue.
/// </summary>
internal interface IRoomRelay
{
    /// <summary>A message was published into <paramref name="room"/> on this node.</summary>
    void Published(string room, string eventName, ReadOnlyMemory<byte> payload);

    /// <summary>A connection of this node tracked (<paramref name="join"/>) and/or left (<paramref name="leave"/>) presence in <paramref name="room"/>.</summary>
    void PresenceChanged(string room, PresenceEntry? join, PresenceEntry? leave);
}
