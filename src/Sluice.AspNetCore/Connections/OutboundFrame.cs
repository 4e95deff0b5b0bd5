using Sluice.Server.Routing;

namespace Sluice.Server.Connections;

/// <summary>
/// A queued frame: bytes already serialized (shared by every receiver of a live change), or a change to serialize
/// when it is sent (catch-up from the log, private to one connection, so the router's lock is not held for it).
/// </summary>
internal readonly struct OutboundFrame
{
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
        QueuedBytes = source.EstimatedBytes;
        Binary = source.Binary;
    }

    /// <summary>What the frame counts against the queue's byte limit (an estimate until serialized).</summary>
    public long QueuedBytes { get; }

    public byte[] Serialize() => _bytes ?? _source!.Frame(_transactionEnd);
}
