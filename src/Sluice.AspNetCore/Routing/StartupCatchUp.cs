using Npgsql;
using Sluice.Server.Capture;

namespace Sluice.Server.Routing;

/// <summary>
/// Opens once the change log is current after the process started. The slot is acknowledged only past what left the
/// retention window, so a started server first re-reads from the WAL what the window kept: changes that happened before
/// any client of this process subscribed. A subscription that went live meanwhile would receive them as new (a client that
/// saw them before the restart, as every Supabase client does, would see them twice). Table subscriptions wait for this
/// gate (see <see cref="TableSubscriptions"/>); it opens when dispatch passes a heartbeat written after start-up.
/// </summary>
/// <remarks>Started by <c>SluiceStartup</c> after capture, dispatcher and heartbeat; one per process, never closed again.</remarks>
internal sealed partial class StartupCatchUp(SubscriptionRouter router, WalHeartbeat heartbeat, ILogger<StartupCatchUp> logger) : BackgroundService
{
    /// <summary>How long a subscription waits for the gate before it is refused with a catch-up timeout.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the log has caught up with the WAL as it was when the process started.</summary>
    public bool IsCurrent => _current.Task.IsCompleted;

    /// <summary>Completes once the log is current; <see cref="TimeoutException"/> after <see cref="Patience"/>.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) =>
        IsCurrent ? Task.CompletedTask : _current.Task.WaitAsync(Patience, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                try
                {
                    // Everything committed before this heartbeat is in the WAL before it: once it is dispatched, so are they.
                    var passed = router.WaitForCommitAsync(await heartbeat.EmitAsync(stoppingToken));
                    await passed.WaitAsync(stoppingToken);
                    _current.TrySetResult();
                    LogCurrent();
                    return;
                }
                catch (NpgsqlException ex)
                {
                    LogHeartbeatFailed(ex);
                    await Task.Delay(RetryDelay, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The change log is current: table subscriptions start from here")]
    private partial void LogCurrent();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the start-up heartbeat; retrying")]
    private partial void LogHeartbeatFailed(Exception exception);
}
