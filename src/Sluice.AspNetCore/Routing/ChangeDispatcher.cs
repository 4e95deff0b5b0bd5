using Npgsql;
using Sluice.Server.Capture;
using Sluice.Server.Log;
using Sluice.Server.Observability;
using Sluice.Server.RowSecurity;

namespace Sluice.Server.Routing;

/// <summary>
/// Moves captured transactions into the log and to subscribers in commit order; the slot advances past what leaves the
/// log. Changes of tables with row-level security (or of tables that are gone) are judged per access group before they
/// are dispatched; while the checks cannot run, delivery waits — nothing is skipped and nothing is sent unchecked.
/// </summary>
internal sealed partial class ChangeDispatcher(IChangeSource capture, SubscriptionRouter router, ChangeLog log, RowAccess access, ILogger<ChangeDispatcher> logger,
    SluiceMetrics metrics) : BackgroundService
{
    private const int MaxBatchesPerRound = 256;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Large records this big in total leaving the window make the dispatcher hand their memory back (see <see cref="ReturnMemoryAfterBurst"/>).</summary>
    private const long LargeReleaseThreshold = 64L * 1024 * 1024;
    private static readonly TimeSpan MinCompactionInterval = TimeSpan.FromMinutes(1);
    private long _releasedLargeBytes;
    private long _lastCompaction;

    private long _changesDispatched;
    private long _lastCommitDelayTicks;

    public long ChangesDispatched => Interlocked.Read(ref _changesDispatched);

    /// <summary>Commit-to-dispatch delay of the last committed transaction (replication lag in time).</summary>
    public TimeSpan LastCommitDelay => TimeSpan.FromTicks(Interlocked.Read(ref _lastCommitDelayTicks));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var transactions = capture.Transactions;
        var round = new List<TransactionBatch>();
        try
        {
            while (await transactions.WaitToReadAsync(stoppingToken))
            {
                round.Clear();
                while (round.Count < MaxBatchesPerRound && transactions.TryRead(out var batch))
                    round.Add(batch);
                var version = await WithRetryAsync(round, static (access, batches, token) => access.PrepareAsync(batches, token), stoppingToken);
                for (var i = 0; i < round.Count; i++)
                {
                    var batch = round[i];
                    // A group joined since the round was judged: judge what is left of the round for it (not only this
                    // batch, or the next ones would pass the version check with verdicts missing for the new group).
                    while (!DispatchAndSend(batch, version))
                        version = await WithRetryAsync(round.GetRange(i, round.Count - i), static (access, batches, token) => access.JudgeAsync(batches, token), stoppingToken);
                    var now = DateTime.UtcNow;
                    Interlocked.Add(ref _changesDispatched, batch.Changes.Length);
                    var committed = batch.IsLast && batch.NewEpoch is null;
                    if (committed)
                        Interlocked.Exchange(ref _lastCommitDelayTicks, Math.Max(0, (now - batch.CommitTimestamp).Ticks));
                    metrics.TransactionDispatched(batch.Changes.Length, committed, batch.CommitTimestamp, now);
                    capture.Acknowledge(log.AcknowledgeableLsn);
                }
                ReturnMemoryAfterBurst();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Dispatches one batch in a <see cref="DeliveryRound"/>: its frames reach each connection in one send, on this thread.</summary>
    private bool DispatchAndSend(TransactionBatch batch, long version)
    {
        DeliveryRound.Begin();
        try
        {
            return router.Dispatch(batch, DateTime.UtcNow, version);
        }
        finally
        {
            DeliveryRound.End();
        }
    }

    /// <summary>
    /// Huge records live on the large object heap, which only a full collection frees and which the runtime keeps committed
    /// while the process allocates little, so after a burst of them the memory would stay taken. Once at least 64 MiB of
    /// large records have left the retention window, and at most once a minute, a full compacting collection returns it to
    /// the operating system.
    /// </summary>
    private void ReturnMemoryAfterBurst()
    {
        _releasedLargeBytes += log.TakeReleasedLargeBytes();
        if (_releasedLargeBytes < LargeReleaseThreshold
            || (_lastCompaction != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_lastCompaction) < MinCompactionInterval))
            return;
        _releasedLargeBytes = 0;
        _lastCompaction = System.Diagnostics.Stopwatch.GetTimestamp();
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>Row-level checks need the database; while it cannot be reached, delivery waits (nothing is skipped).</summary>
    private async Task<long> WithRetryAsync(IReadOnlyList<TransactionBatch> batches, Func<RowAccess, IReadOnlyList<TransactionBatch>, CancellationToken, Task<long>> step, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                return await step(access, batches, stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or AccessCheckUnavailableException && !stoppingToken.IsCancellationRequested)
            {
                LogCheckUnavailable(ex);
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Row-level security checks cannot reach the database; delivery waits and retries")]
    private partial void LogCheckUnavailable(Exception exception);
}
