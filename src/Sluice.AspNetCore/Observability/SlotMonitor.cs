using Microsoft.Extensions.Options;
using Npgsql;
using Sluice.Server.Capture;
using Sluice.Server.Hosting;

namespace Sluice.Server.Observability;

/// <summary>
/// Reads the replication slot's position every few seconds so gauges and the dashboard can report slot lag
/// and retained WAL without querying PostgreSQL on every scrape. <see cref="Latest"/> is null until the first
/// read succeeds and while the database cannot be reached.
/// </summary>
internal sealed partial class SlotMonitor(NpgsqlDataSource dataSource, IOptions<SluiceOptions> options, ILogger<SlotMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private SlotPosition? _latest;
    private bool _failing;

    /// <summary>The slot's position at the last successful read.</summary>
    public SlotPosition? Latest => Volatile.Read(ref _latest);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                try
                {
                    Volatile.Write(ref _latest, await ReplicationSlot.ReadPositionAsync(dataSource, options.Value.SlotName, stoppingToken));
                    _failing = false;
                }
                catch (NpgsqlException ex)
                {
                    Volatile.Write(ref _latest, null);
                    if (!_failing)
                        LogReadFailed(ex, options.Value.SlotName);
                    _failing = true;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the position of replication slot {Slot}; slot lag metrics are unavailable until it can")]
    private partial void LogReadFailed(Exception exception, string slot);
}
