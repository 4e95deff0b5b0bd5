using System.ComponentModel;
using System.Threading.Channels;
using Sluice.Client.Telemetry;

namespace Sluice.Client;

public sealed partial class SluiceClient
{
    /// <summary>How many errors may wait for the <see cref="Error"/> handlers; past that they are counted, not queued.</summary>
    internal const int ErrorQueueCapacity = 1024;

    /// <summary>
    /// State changes and errors, raised in order by one dispatcher. Unbounded by design for state changes (one per
    /// transition, paced by the connection itself, so never many); errors are bounded by <see cref="ErrorQueueCapacity"/>
    /// and an overflow is reported with <see cref="ClientErrorCodes.EventsDropped"/> once the handlers catch up.
    /// </summary>
    private readonly Channel<Action> _eventQueue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private int _queuedErrors;
    private long _droppedErrors;
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
    /// Errors never stop the client. Raised in order on a background task (the same as <see cref="StateChanged"/>). When
    /// the handlers fall more than 1,024 errors behind, later errors are counted instead of queued, and one error with
    /// <see cref="ClientErrorCodes.EventsDropped"/> says how many once they catch up: never silently.</summary>
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
            _telemetry.HandlerErrors.Add(1);
            ClientLog.HandlerFailed(_logger, exception, channel);
        }
        else if (exception is null)
            ClientLog.Error(_logger, code, channel, message);
        if (Interlocked.Increment(ref _queuedErrors) > ErrorQueueCapacity)
        {
            Interlocked.Decrement(ref _queuedErrors);
            Interlocked.Increment(ref _droppedErrors);
            _telemetry.EventsDropped.Add(1);
            return;
        }
        var args = new SluiceErrorEventArgs(code, message, channel, exception);
        if (!_eventQueue.Writer.TryWrite(() => RaiseError(args)))
            Interlocked.Decrement(ref _queuedErrors);
    }

    private void RaiseError(SluiceErrorEventArgs args)
    {
        try
        {
            Error?.Invoke(this, args);
        }
        finally
        {
            // Once the handlers worked off half the queue, say how many errors were not raised.
            if (Interlocked.Decrement(ref _queuedErrors) <= ErrorQueueCapacity / 2 && Interlocked.Exchange(ref _droppedErrors, 0) is > 0 and var dropped)
            {
                ClientLog.EventsDropped(_logger, dropped, ErrorQueueCapacity);
                var notice = new SluiceErrorEventArgs(ClientErrorCodes.EventsDropped,
                    $"{dropped} errors were not raised: the Error handlers fell {ErrorQueueCapacity} errors behind", null, null);
                Raise(() => Error?.Invoke(this, notice));
            }
        }
    }

    private void Raise(Action raise) => _eventQueue.Writer.TryWrite(raise);

    private Task StartEventDispatcher() => Task.Run(async () =>
    {
        await foreach (var raise in _eventQueue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                raise();
            }
            catch (Exception ex)
            {
                _telemetry.HandlerErrors.Add(1);
                ClientLog.HandlerFailed(_logger, ex, null);
            }
        }
    });
}
