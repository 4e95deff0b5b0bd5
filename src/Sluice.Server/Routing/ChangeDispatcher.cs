using Sluice.Server.Capture;

namespace Sluice.Server.Routing;

/// <summary>Moves captured transactions to subscribers in commit order, then lets the slot advance past them.</summary>
public sealed class ChangeDispatcher(LogicalCapture capture, SubscriptionRouter router) : BackgroundService
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
                    router.Dispatch(batch);
                    Interlocked.Add(ref _changesDispatched, batch.Changes.Count);
                    if (batch.IsLast)
                        capture.Acknowledge(batch.EndLsn);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
