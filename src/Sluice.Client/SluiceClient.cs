using System.ComponentModel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sluice.Client;

/// <summary>
/// A client of a Sluice server: one supervised WebSocket connection that reconnects forever (exponential backoff with
/// full jitter) until disposed, detects dead connections with heartbeats, and resubscribes every channel where it left
/// off. Create channels with <see cref="Table"/> and <see cref="Room"/>, and replicas with <see cref="LiveTable{TKey,TRow}"/>, then
/// <see cref="StartAsync"/>. Thread-safe.
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
    private readonly Lock _lifecycle = new();
    private CancellationTokenSource? _stop;
    private Task _supervisor = Task.CompletedTask;
    private bool _disposed;

    /// <summary>Creates a client (not started yet). Prefer <see cref="SluiceClientBuilder"/>.</summary>
    /// <param name="options">The settings; validated here.</param>
    public SluiceClient(SluiceClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Url = options.Url!;
        _time = options.TimeProvider;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Sluice.Client");
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

    /// <summary>The settings the client was created with.</summary>
    public SluiceClientOptions Options { get; }

    /// <summary>
    /// Starts the supervised connection and returns at once; the connection is made in the background (observe
    /// <see cref="State"/>, or await <see cref="WaitUntilConnectedAsync"/>). Channels created before or after start
    /// are subscribed as soon as a connection is up. Calling it again while started does nothing.
    /// </summary>
    /// <param name="cancellationToken">Not used for the background connection; present for symmetry with hosted services.</param>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_stop is not null)
                return Task.CompletedTask;
            _stop = new CancellationTokenSource();
            var stop = _stop.Token;
            _supervisor = Task.Run(() => SuperviseAsync(stop), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>Closes the connection and stops reconnecting; channels stay registered and resume on the next <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        CancellationTokenSource? stop;
        Task supervisor;
        lock (_lifecycle)
        {
            stop = _stop;
            supervisor = _supervisor;
            _stop = null;
        }
        if (stop is null)
            return;
        await stop.CancelAsync();
        _session?.Abort();
        await supervisor;
        stop.Dispose();
        SetState(ConnectionState.Disconnected, null);
    }

    /// <summary>Stops the connection, ends every channel and live table, and releases everything. The state becomes <see cref="ConnectionState.Closed"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lifecycle)
        {
            if (_disposed)
                return;
            _disposed = true;
        }
        await StopAsync();
        foreach (var state in _channels.Values)
            await CloseChannelAsync(state, sendUnsubscribe: false);
        SetState(ConnectionState.Closed, null);
        _eventQueue.Writer.TryComplete();
        await _events;
        _http.Dispose();
    }
}
