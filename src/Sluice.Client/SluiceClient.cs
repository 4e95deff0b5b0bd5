using System.ComponentModel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Client.Telemetry;

namespace Sluice.Client;

/// <summary>
/// A client of a Sluice server: one supervised WebSocket connection that reconnects as its <see cref="IReconnectPolicy"/>
/// says (by default with exponential backoff and full jitter, forever unless the server refuses the token), detects dead
/// connections with heartbeats, and resubscribes every channel where it left off. Create channels with
/// <see cref="Table"/> and <see cref="Room"/>, and replicas with <see cref="LiveTable{TKey,TRow}"/>, then
/// <see cref="StartAsync"/>, which completes once the server accepted the connection. Thread-safe.
/// </summary>
/// <remarks>
/// Handlers never run on the socket reader: each channel has a bounded buffer
/// (<see cref="SluiceClientOptions.ChannelBufferCapacity"/>) and its own dispatcher that calls handlers one change at a
/// time, in order. A throwing handler is reported through <see cref="Error"/> and delivery goes on. A channel whose
/// handlers fall a whole buffer behind is paused and later resumed from its last buffered offset, so nothing is lost.
/// </remarks>
public sealed partial class SluiceClient : IAsyncDisposable, INotifyPropertyChanged
{
    private readonly ILogger _logger;
    private readonly ISluiceSerializer _serializer;
    private readonly TimeProvider _time;
    private readonly ClientTelemetry _telemetry;
    private readonly Lock _lifecycle = new();
    private Run? _run;
    private bool _disposed;

    /// <summary>Creates a client (not started yet). Prefer <see cref="SluiceClientBuilder"/>.</summary>
    /// <param name="options">The settings; validated and copied here (changing them afterwards changes nothing).</param>
    public SluiceClient(SluiceClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.Clone();
        options.Validate();
        Options = options;
        Url = options.Url!;
        _time = options.TimeProvider;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Sluice.Client");
        _telemetry = ClientTelemetry.For(options.MeterFactory);
        _serializer = options.Serializer ?? SystemTextJsonSluiceSerializer.CreateDefault();
        _http = new HttpClient(options.HttpMessageHandler ?? new SocketsHttpHandler(), disposeHandler: options.HttpMessageHandler is null)
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        _notConnectedSince = _time.GetTimestamp();
        _events = StartEventDispatcher();
    }

    /// <summary>The server's WebSocket endpoint.</summary>
    public Uri Url { get; }

    /// <summary>The client's own copy of its settings (never handed out: the client's behaviour cannot change under it).</summary>
    internal SluiceClientOptions Options { get; }

    internal ClientTelemetry Telemetry => _telemetry;

    /// <summary>
    /// Starts the supervised connection and completes once the server accepted it (it answered the client's first
    /// heartbeat, so the token was good), like SignalR's <c>HubConnection.StartAsync</c>. Failed attempts are retried as
    /// the <see cref="SluiceClientOptions.ReconnectPolicy"/> says meanwhile; when the policy stops (by default: the server
    /// refused the token with close 4001) this throws a <see cref="SluiceException"/> with the server's code (e.g.
    /// <c>invalid_token</c>) and the client is <see cref="ConnectionState.Disconnected"/> again. With
    /// <see cref="SluiceClientOptions.StartInBackground"/> it returns at once instead and the client connects in the
    /// background. Channels created before or after start are subscribed as soon as a connection is up. Calling it
    /// while started waits for the same connection.
    /// </summary>
    /// <param name="cancellationToken">Gives up waiting: the start is abandoned (the client is stopped) and
    /// <see cref="OperationCanceledException"/> thrown. Once the client is connected it has no effect.</param>
    /// <exception cref="SluiceException">The reconnect policy stopped before a connection was accepted.</exception>
    /// <exception cref="OperationCanceledException">Cancelled, or <see cref="StopAsync"/> was called before a connection was accepted.</exception>
    /// <exception cref="ObjectDisposedException">The client is disposed.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Run run;
        var created = false;
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_run is null)
            {
                _run = new Run();
                created = true;
                var started = _run;
                started.Supervisor = Task.Run(() => SuperviseAsync(started), CancellationToken.None);
            }
            run = _run;
        }
        if (Options.StartInBackground)
            return;
        try
        {
            await run.Started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && created && !run.Started.Task.IsCompletedSuccessfully)
        {
            await StopRunAsync(run, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Closes the connection gracefully and stops reconnecting: sends a normal close (1000) and waits for the server's
    /// close in reply, as <see cref="System.Net.WebSockets.ClientWebSocket.CloseAsync"/> does, at most
    /// <see cref="CloseTimeout"/>; frames arriving meanwhile are still delivered. Channels stay registered and resume on
    /// the next <see cref="StartAsync"/>. The state is <see cref="ConnectionState.Disconnected"/> when this completes. A
    /// <see cref="StartAsync"/> still waiting throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <param name="cancellationToken">Cuts the graceful part (sending the close frame, waiting for the reply) short;
    /// the connection is then dropped, and the client is stopped either way (this does not throw when cancelled).</param>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        Run? run;
        lock (_lifecycle)
            run = _run;
        return run is null ? Task.CompletedTask : StopRunAsync(run, cancellationToken);
    }

    private async Task StopRunAsync(Run run, CancellationToken cancellationToken)
    {
        lock (_lifecycle)
        {
            if (_run == run)
                _run = null;
        }
        if (run.Stopping)
        {
            await run.Supervisor.ConfigureAwait(false);
            return;
        }
        run.Stopping = true;
        run.Started.TrySetException(new OperationCanceledException("the client was stopped before the server accepted a connection"));
        if (Volatile.Read(ref _session) is { } session)
            await session.CloseAsync(CloseTimeout, _time, cancellationToken).ConfigureAwait(false);
        await run.Stop.CancelAsync().ConfigureAwait(false);
        Volatile.Read(ref _session)?.Abort();
        await run.Supervisor.ConfigureAwait(false);
        run.Stop.Dispose();
        SetState(ConnectionState.Disconnected, null);
    }

    /// <summary>
    /// Stops the connection gracefully (as <see cref="StopAsync"/>, waiting at most <see cref="CloseTimeout"/> for the
    /// server's close), ends every channel and live table (no handler call begins once this returns; running ones are
    /// waited for), raises the remaining <see cref="StateChanged"/> and <see cref="Error"/> events, and releases
    /// everything. The state becomes <see cref="ConnectionState.Closed"/>. The client has no synchronous <c>Dispose</c>:
    /// a graceful stop is I/O, and DI containers dispose an <see cref="IAsyncDisposable"/> singleton with this.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lifecycle)
        {
            if (_disposed)
                return;
            _disposed = true;
        }
        await StopAsync().ConfigureAwait(false);
        foreach (var state in _channels.Values)
            await CloseChannelAsync(state, sendUnsubscribe: false).ConfigureAwait(false);
        SetState(ConnectionState.Closed, null);
        _eventQueue.Writer.TryComplete();
        await _events.ConfigureAwait(false);
        _http.Dispose();
    }

    /// <summary>One run of the connection loop, from <see cref="StartAsync"/> to its stop (or the policy's).</summary>
    private sealed class Run
    {
        public readonly CancellationTokenSource Stop = new();
        public readonly TaskCompletionSource Started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task Supervisor = Task.CompletedTask;
        private volatile bool _stopping;

        public bool Stopping
        {
            get => _stopping || Stop.IsCancellationRequested;
            set => _stopping = value;
        }
    }
}
