using Sluice.Server.Limits;
using Sluice.Server.Log;
using Sluice.Server.Routing;

namespace Sluice.Server.Protocols.Native;

/// <summary>
/// The native protocol's frames of a table subscription (the Fluxbase frames plus additive fields, docs/protocol.md). The
/// router hands it router channels: it writes each as its wire channel and, for a subscription with an id, the
/// <c>id</c> (<see cref="NativeSubscriptionKey"/>), so every frame the router sends for a subscription carries its id.
/// </summary>
internal sealed class NativeChangeFormat(int maxRecordBytes = RecordLimit.DefaultMaxRecordBytes, Observability.SluiceMetrics? metrics = null)
    : ChangeFrameFormat(metrics)
{
    private NativeChangeFormat? _batchingCatchUp;
    private bool _batches;

    /// <summary>With the default maximum record size, counting nothing (for tests).</summary>
    public static NativeChangeFormat Default { get; } = new();

    /// <summary>Records larger than this are sent reduced (see <see cref="RecordLimit"/>).</summary>
    public int MaxRecordBytes { get; } = maxRecordBytes;

    /// <summary>
    /// The same frames, for a subscription that asked for <c>batch_catch_up</c>: its replayed changes go out in
    /// <see cref="Sluice.Protocol.FrameTypes.Changes"/> frames. (Live frames are the same bytes, so the two share them.)
    /// </summary>
    public NativeChangeFormat BatchingCatchUp =>
        _batches ? this : _batchingCatchUp ??= new NativeChangeFormat(MaxRecordBytes, Metrics) { _batches = true };

    public override bool BatchesCatchUp => _batches;

    /// <summary>A <see cref="Sluice.Protocol.FrameTypes.Changes"/> frame of the subscription's replayed change frames.</summary>
    public override byte[] CatchUpBatch(string channel, IReadOnlyList<byte[]> frames)
    {
        var key = NativeSubscriptionKey.FromRouterChannel(channel);
        return NativeFrames.Changes(key.Channel, frames, key.Id);
    }

    /// <summary>A change frame (see <see cref="NativeFrames.Change"/>), with the subscription's id when it has one.</summary>
    public override byte[] Change(string channel, LogEntry entry, bool transactionEnd, ChangeShape shape)
    {
        var key = NativeSubscriptionKey.FromRouterChannel(channel);
        return NativeFrames.Change(key.Channel, entry, transactionEnd, shape, MaxRecordBytes, key.Id);
    }

    /// <summary>The <c>ack</c> with the offset the subscription starts after.</summary>
    public override byte[]? Subscribed(string channel, string offset)
    {
        var key = NativeSubscriptionKey.FromRouterChannel(channel);
        return NativeFrames.TableAck(key.Channel, offset, key.Id);
    }

    public override void ResyncRequired(ISubscriberSink connection, string channel, string reason)
    {
        var key = NativeSubscriptionKey.FromRouterChannel(channel);
        connection.TryEnqueue(NativeFrames.ResyncRequired(key.Channel, reason, Metrics, key.Id));
    }

    public override void Error(ISubscriberSink connection, string channel, string code, string message, bool ended)
    {
        var key = NativeSubscriptionKey.FromRouterChannel(channel);
        connection.TryEnqueue(NativeFrames.Error(code, message, key.Channel, key.Id));
    }
}
