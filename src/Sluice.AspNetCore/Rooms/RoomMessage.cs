using Sluice.Server.Connections;

namespace Sluice.Server.Rooms;

/// <summary>
/// A message published in a room, protocol-neutral: fanned out to the room's members and kept in its history for resumes.
/// Each protocol's frame of it is serialized once, by the first member of that protocol, and shared (<see cref="Frames"/>,
/// guarded by the registry's lock like the rest of the room).
/// </summary>
/// <param name="Room">The room's name.</param>
/// <param name="Offset">The room offset the message got.</param>
/// <param name="Event">The event name the publisher gave.</param>
/// <param name="Payload">The payload as UTF-8 JSON, owned by the message (kept in the room's history).</param>
/// <param name="Binary">The publisher sent it as a binary message (a protocol that can may deliver it so).</param>
internal sealed record RoomMessage(string Room, string Offset, string Event, ReadOnlyMemory<byte> Payload, bool Binary)
{
    /// <summary>The message's frame per protocol.</summary>
    public FrameCache Frames { get; } = new();
}
