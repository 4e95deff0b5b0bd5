using Sluice.Server.Capture;
using Sluice.Server.Log;
using Sluice.Server.Observability;

namespace Sluice.Server.Routing;

/// <summary>Moves captured transactions into the log and to subscribers in commit order; the slot advances past what leaves the log.</summary>
public sealed class ChangeDispatcher(LogicalCapture capture, SubscriptionRouter router, ChangeLog log) : BackgroundService
{
    private long _changesDispatched;
    private long _lastCommitDelayTicks;

    public long ChangesDispatched => Interlocked.Read(ref _changesDispatched);

    /// <summary>Commit-to-dispatch delay of the last committed transaction (replication lag in time).</summary>
    public TimeSpan LastCommitDelay => TimeSpan.FromTicks(Interlocked.Read(ref _lastCommitDelayTicks));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var transactions = capture.Transactions;
        try
        {
            while (await transactions.WaitToReadAsync(stoppingToken))
            {
                while (transactions.TryRead(out var batch))
                {
                    var now = DateTime.UtcNow;
                    router.Dispatch(batch, now);
                    Interlocked.Add(ref _changesDispatched, batch.Changes.Count);
                    var committed = batch.IsLast && batch.NewEpoch is null;
                    if (committed)
                        Interlocked.Exchange(ref _lastCommitDelayTicks, Math.Max(0, (now - batch.CommitTimestamp).Ticks));
                    SluiceMetrics.TransactionDispatched(batch.Changes.Count, committed, batch.CommitTimestamp, now);
                    capture.Acknowledge(log.AcknowledgeableLsn);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
