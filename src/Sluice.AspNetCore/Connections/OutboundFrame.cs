using Sluice.Server.Routing;

namespace Sluice.Server.Connections;

/// <summary>
/// A queued frame: bytes already serialized (shared by every receiver of a live change), or a change to serialize
/// when it is sent (catch-up from the log, private to one connection, so the router's lock is not held for it).
/// </summary>
/// <remarks>
/// A replayed change weighs <see cref="ReplayedCost"/> in the queue, not its frame's size: until it is sent it is a
/// reference to a log entry the server retains anyway, and it is serialized only when the drainer sends it (one at a time).
/// </remarks>
internal readonly struct OutboundFrame
{
    /// <summary>What a queued replayed change holds: its queue slot and its <see cref="FrameSource"/> (about 100 bytes).</summary>
    public const long ReplayedCost = 128;

    private readonly byte[]? _bytes;
    private readonly FrameSource? _source;
    private readonly bool _transactionEnd;

    public OutboundFrame(byte[] bytes, bool binary = false)
    {
        _bytes = bytes;
        QueuedBytes = bytes.Length;
        Binary = binary;
    }

    /// <summary>Sent as a binary WebSocket message (a protocol's binary form of a message); text otherwise.</summary>
    public bool Binary { get; }

    public OutboundFrame(FrameSource source, bool transactionEnd)
    {
        _source = source;
        _transactionEnd = transactionEnd;
        QueuedBytes = ReplayedCost;
        Binary = source.Binary;
    }

    /// <summary>
    /// The change replayed from the log (a catch-up), serialized when it is sent; it does not count against the frame
    /// limit. Null for bytes already serialized.
    /// </summary>
    public FrameSource? Source => _source;

    /// <summary>What the frame counts against the queue's byte limit (its size; <see cref="ReplayedCost"/> for a replayed change).</summary>
    public long QueuedBytes { get; }

    public byte[] Serialize() => _bytes ?? _source!.Frame(_transactionEnd);
}
