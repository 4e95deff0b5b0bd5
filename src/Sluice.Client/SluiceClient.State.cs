using System.ComponentModel;
using System.Threading.Channels;
using Sluice.Client.Telemetry;

namespace Sluice.Client;

public sealed partial class SluiceClient
{
    private const int EventQueueCapacity = 1024;

    private readonly Channel<Action> _eventQueue = Channel.CreateBounded<Action>(
        new BoundedChannelOptions(EventQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Task _events;
    private readonly Lock _stateGate = new();
    private ConnectionState _state = ConnectionState.Disconnected;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _notConnectedSince;

    /// <summary>
    /// The connection's state changed. Raised in order on a background task (never on the socket reader); a throwing
    /// handler is logged and counted, never fatal.
    /// </summary>
    public event EventHandler<ConnectionStateChangedEventArgs>? StateChanged;

    /// <summary>An error frame from the server (with its <c>code</c>) or a client-side problem such as a throwing handler.
    /// Errors never stop the client. Raised in order on a background task.</summary>
    public event EventHandler<SluiceErrorEventArgs>? Error;

    /// <summary>Raised for <see cref="State"/> (for UI bindings), on the same background task as <see cref="StateChanged"/>.</summary>
    public event PropertyChangedEventHandler? PropertyChanged;

    /// <summary>The connection's current state.</summary>
    public ConnectionState State
    {
        get
        {
            lock (_stateGate)
                return _state;
        }
    }

    /// <summary>Completes when the client is connected (at once if it is); throws <see cref="ObjectDisposedException"/> if it is disposed first.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken = default)
    {
        Task connected;
        lock (_stateGate)
            connected = _connected.Task;
        return connected.WaitAsync(cancellationToken);
    }

    /// <summary>How long the client has been without an open WebSocket (zero while connected).</summary>
    internal TimeSpan NotConnectedFor
    {
        get
        {
            lock (_stateGate)
                return _state == ConnectionState.Connected ? TimeSpan.Zero : _time.GetElapsedTime(_notConnectedSince);
        }
    }

    private void SetState(ConnectionState state, Exception? exception)
    {
        ConnectionState previous;
        lock (_stateGate)
        {
            previous = _state;
            if (previous == state || previous == ConnectionState.Closed)
                return;
            _state = state;
            if (state == ConnectionState.Connected)
                _connected.TrySetResult();
            else if (previous == ConnectionState.Connected)
            {
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _notConnectedSince = _time.GetTimestamp();
            }
            if (state == ConnectionState.Closed)
                _connected.TrySetException(new ObjectDisposedException(nameof(SluiceClient)));
            else if (previous is ConnectionState.Disconnected)
                _notConnectedSince = _time.GetTimestamp();
        }
        var args = new ConnectionStateChangedEventArgs(previous, state, exception);
        Raise(() =>
        {
            StateChanged?.Invoke(this, args);
            PropertyChanged?.Invoke(this, new PropertyChangedEventArgs(nameof(State)));
        });
    }

    /// <summary>Reports an error to the log, the metrics and <see cref="Error"/>.</summary>
    internal void ReportError(string code, string message, string? channel, Exception? exception = null)
    {
        if (exception is not null && code == ClientErrorCodes.HandlerFailed)
        {
            ClientTelemetry.HandlerErrors.Add(1);
            ClientLog.HandlerFailed(_logger, exception, channel);
        }
        else if (exception is null)
            ClientLog.Error(_logger, code, channel, message);
        var args = new SluiceErrorEventArgs(code, message, channel, exception);
        Raise(() => Error?.Invoke(this, args));
    }

    private void Raise(Action raise) => _eventQueue.Writer.TryWrite(raise);

    private Task StartEventDispatcher() => Task.Run(async () =>
    {
        await foreach (var raise in _eventQueue.Reader.ReadAllAsync())
        {
            try
            {
                raise();
            }
            catch (Exception ex)
            {
                ClientTelemetry.HandlerErrors.Add(1);
                ClientLog.HandlerFailed(_logger, ex, null);
            }
        }
    });
}
