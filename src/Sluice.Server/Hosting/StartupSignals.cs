using System.Runtime.InteropServices;

namespace Sluice.Server.Hosting;

/// <summary>
/// SIGTERM, SIGINT and SIGQUIT while the server is still starting, before the host's own console lifetime handles them:
/// instead of the runtime's default (the process ends at once, leaving an embedded PostgreSQL it already started running
/// without an owner), the signal cancels <see cref="Token"/>, and start-up stops what it started and exits. Dispose it once
/// the host runs.
/// </summary>
internal sealed class StartupSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;

    public StartupSignals()
    {
        _registrations = [.. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT }.Select(signal => PosixSignalRegistration.Create(signal, OnSignal))];
    }

    /// <summary>Cancelled when a stop signal arrived during start-up.</summary>
    public CancellationToken Token => _stop.Token;

    public bool StopRequested => _stop.IsCancellationRequested;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: the host's lifetime has the signal.
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _stop.Dispose();
    }
}
