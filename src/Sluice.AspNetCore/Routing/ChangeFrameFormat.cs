using Sluice.Protocol;
using Sluice.Server.Log;

namespace Sluice.Server.Routing;

/// <summary>
/// How the router's events for one subscription become one protocol's frames (implemented under <c>Protocols/</c>): a
/// change in its shape and with its transaction end, the subscription going live, needing a resync, or an error.
/// Subscriptions of one router channel share one format, so a change is serialized once per channel (and shape) and the
/// bytes are shared by all its receivers (see <see cref="FrameSource"/>).
/// </summary>
internal abstract class ChangeFrameFormat
{
    /// <param name="metrics">Where the deliveries of this format's change frames are counted (see <see cref="FrameSource.Frame"/>); null counts nothing.</param>
    protected ChangeFrameFormat(Observability.SluiceMetrics? metrics = null) => Metrics = metrics;

    /// <summary>The server's counters; null for a format made outside a server (unit tests).</summary>
    public Observability.SluiceMetrics? Metrics { get; }

    /// <summary>A change frame.</summary>
    public abstract byte[] Change(string channel, LogEntry entry, bool transactionEnd, ChangeShape shape);

    /// <summary>
    /// Whether the frame <see cref="Change"/> writes for <paramref name="entry"/> is sent as a binary WebSocket message (a
    /// protocol's binary form); text otherwise. Pure, like <see cref="Change"/>.
    /// </summary>
    public virtual bool IsBinary(LogEntry entry) => false;

    /// <summary>
    /// Whether replayed changes of one channel that wait together in a connection's queue go out as one message
    /// (<see cref="CatchUpBatch"/>) instead of one message each. Live changes are never batched.
    /// </summary>
    public virtual bool BatchesCatchUp => false;

    /// <summary>One message carrying <paramref name="frames"/> (each a <see cref="Change"/> frame of <paramref name="channel"/>, in order).</summary>
    public virtual byte[] CatchUpBatch(string channel, IReadOnlyList<byte[]> frames) =>
        throw new NotSupportedException("this format does not batch replayed changes");

    /// <summary>Queued when a live subscription starts, with the offset it starts after; null sends nothing.</summary>
    public abstract byte[]? Subscribed(string channel, string offset);

    /// <summary>Tells the client its subscription ended and needs a resync (history gone, claims changed, slot recreated).</summary>
    public abstract void ResyncRequired(ISubscriberSink connection, string channel, string reason);

    /// <summary>Tells the client about a problem with its subscription (<see cref="ErrorCodes"/>); <paramref name="ended"/> when it ended.</summary>
    public abstract void Error(ISubscriberSink connection, string channel, string code, string message, bool ended);
}
