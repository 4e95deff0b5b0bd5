using System.Threading.Channels;

namespace Sluice.Server.Capture;

/// <summary>
/// Where the dispatcher takes committed transactions from, and where it reports what the log no longer needs. A single
/// node reads its own <see cref="LogicalCapture"/>; a cluster node reads the shared change stream
/// (<see cref="Cluster.ChangeStreamFeed"/>), which the capture of the leader fills. One dispatch path for both.
/// </summary>
internal interface IChangeSource
{
    /// <summary>Committed transactions in commit order (large ones in several batches).</summary>
    ChannelReader<TransactionBatch> Transactions { get; }

    /// <summary>Everything up to <paramref name="endLsn"/> has left the retention window: the slot may advance there.</summary>
    void Acknowledge(ulong endLsn);
}
