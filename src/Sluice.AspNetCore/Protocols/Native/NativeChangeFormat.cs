using Sluice.Server.Limits;
using Sluice.Server.Log;
using Sluice.Server.Routing;

namespace Sluice.Server.Protocols.Native;

/// <summary>The native protocol's frames of a table subscription (the Fluxbase frames plus additive fields, docs/protocol.md).</summary>
internal sealed class NativeChangeFormat(int maxRecordBytes = RecordLimit.DefaultMaxRecordBytes, Observability.SluiceMetrics? metrics = null)
    : ChangeFrameFormat(metrics)
{
    /// <summary>With the default maximum record size, counting nothing (for tests).</summary>
    public static NativeChangeFormat Default { get; } = new();

    /// <summary>Records larger than this are sent reduced (see <see cref="RecordLimit"/>).</summary>
    public int MaxRecordBytes { get; } = maxRecordBytes;

    /// <summary>A change frame (see <see cref="NativeFrames.Change"/>).</summary>
    public override byte[] Change(string channel, LogEntry entry, bool transactionEnd, ChangeShape shape) =>
        NativeFrames.Change(channel, entry, transactionEnd, shape, MaxRecordBytes);

    /// <summary>The reduced size for a record over the limit, not the record's.</summary>
    public override long EstimateBytes(LogEntry entry, ChangeShape shape) =>
        RecordLimit.IsTooLarge(entry.Change, shape, MaxRecordBytes) ? RecordLimit.ReducedBytes(entry.Change) : entry.Size;

    /// <summary>The <c>ack</c> with the offset the subscription starts after.</summary>
    public override byte[]? Subscribed(string channel, string offset) => NativeFrames.Ack(channel, offset);

    public override void ResyncRequired(ISubscriberSink connection, string channel, string reason) =>
        connection.TryEnqueue(NativeFrames.ResyncRequired(channel, reason, Metrics));

    public override void Error(ISubscriberSink connection, string channel, string code, string message, bool ended) =>
        connection.TryEnqueue(NativeFrames.Error(code, message, channel));
}
