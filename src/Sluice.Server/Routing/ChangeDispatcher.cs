using Sluice.Server.Capture;
using Sluice.Server.Log;

namespace Sluice.Server.Routing;

/// <summary>Moves captured transactions into the log and to subscribers in commit order; the slot advances past what leaves the log.</summary>
public sealed class ChangeDispatcher(LogicalCapture capture, SubscriptionRouter router, ChangeLog log) : BackgroundService
{
    private long _changesDispatched;

    public long ChangesDispatched => Interlocked.Read(ref _changesDispatched);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var transactions = capture.Transactions;
        try
        {
            while (await transactions.WaitToReadAsync(stoppingToken))
            {
                while (transactions.TryRead(out var batch))
                {
                    router.Dispatch(batch, DateTime.UtcNow);
                    Interlocked.Add(ref _changesDispatched, batch.Changes.Count);
                    capture.Acknowledge(log.AcknowledgeableLsn);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
