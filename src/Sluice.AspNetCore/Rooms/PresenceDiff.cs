using Sluice.Server.Connections;

namespace Sluice.Server.Rooms;

/// <summary>
/// A change of a room's presence, protocol-neutral: an entry joined and/or one left. Serialized once per protocol for all
/// the room's members (<see cref="Frames"/>, guarded by the registry's lock).
/// </summary>
internal sealed record PresenceDiff(string Room, PresenceEntry? Join, PresenceEntry? Leave)
{
    /// <summary>The diff's frame per protocol.</summary>
    public FrameCache Frames { get; } = new();
}
