using Sluice.Server.Routing;

namespace Sluice.Server.Observability;

/// <summary>
/// Records the totals behind the dashboard's chart (changes dispatched by this server, change frames delivered) into
/// <see cref="StatsHistory"/> at start-up and then every <see cref="StatsHistory.Interval"/>, whether or not a page is open.
/// </summary>
internal sealed class StatsHistorySampler(StatsHistory history, ChangeDispatcher dispatcher, TimeProvider time, SluiceMetrics metrics) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(StatsHistory.Interval, time);
        try
        {
            do
                history.Add(new StatsSample(time.GetUtcNow(), dispatcher.ChangesDispatched, metrics.Deliveries));
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
