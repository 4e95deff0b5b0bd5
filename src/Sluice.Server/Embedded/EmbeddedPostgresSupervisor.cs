namespace Sluice.Server.Embedded;

/// <summary>
/// The server owns its embedded cluster: when the postmaster dies or is stopped under it, this starts it again on the
/// same port (capture and the pools reconnect by themselves; <c>/health</c> reports the gap meanwhile). Checks every
/// two seconds; a failed restart is logged and tried again, at most every 30 seconds. Registered before the server's
/// own services, it stops after them, and stops PostgreSQL then: within the host's shutdown, not after it.
/// </summary>
internal sealed partial class EmbeddedPostgresSupervisor(EmbeddedPostgres postgres, TimeProvider time, ILogger<EmbeddedPostgresSupervisor> logger)
    : BackgroundService
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retryDelay = CheckInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(retryDelay, time, stoppingToken);
                if (!postgres.IsRunning)
                    await postgres.RestartIfStoppedAsync(stoppingToken);
                retryDelay = CheckInterval;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (EmbeddedPostgresException ex)
            {
                LogRestartFailed(ex.Message);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await postgres.StopAsync();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not start the embedded PostgreSQL again: {Reason}")]
    private partial void LogRestartFailed(string reason);
}
