namespace Sluice.Server.Connections;

/// <summary>
/// The frames of one protocol-neutral event shared by many receivers (a room message, a presence diff), one per protocol
/// slot (the pattern of SignalR's <c>SerializedHubMessage</c>): the first receiver of each protocol serializes the event,
/// every other receiver of that protocol gets the same bytes. A protocol writer takes its slot once with
/// <see cref="NewSlot"/>; writers whose frames of an event are identical share one. Not thread-safe: the event's owner
/// (the room registry, under its lock) serializes access.
/// </summary>
internal sealed class FrameCache
{
    private static int s_slots;
    private OutboundFrame?[] _frames = [];

    /// <summary>A new protocol slot (taken once per writer kind, at type initialization).</summary>
    public static int NewSlot() => Interlocked.Increment(ref s_slots) - 1;

    /// <summary>The frame of <paramref name="slot"/>, serialized by <paramref name="serialize"/> the first time it is asked for.</summary>
    public OutboundFrame GetOrAdd<TState>(int slot, TState state, Func<TState, OutboundFrame> serialize)
    {
        if (slot >= _frames.Length)
            Array.Resize(ref _frames, Math.Max(slot + 1, Volatile.Read(ref s_slots)));
        return _frames[slot] ??= serialize(state);
    }
}
