using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading.Channels;
using Sluice.Protocol;

namespace Sluice.Server.Connections;

/// <summary>
/// One WebSocket client: a bounded outbound queue drained by a single writer loop. Frames are shared,
/// immutable byte arrays. A client that cannot keep up is disconnected with <see cref="CloseCodes.SlowConsumer"/>
/// instead of making the server buffer without bound.
/// </summary>
internal sealed partial class ClientConnection : Routing.ISubscriberSink
{
    private static readonly TimeSpan CloseGracePeriod = TimeSpan.FromSeconds(2);
    private static long s_nextId;

    private const int MaxBatchBytes = 64 * 1024;

    private readonly WebSocket _socket;
    private readonly CoalescingStream? _transport;
    private readonly Channel<OutboundFrame> _outbound;
    private readonly long _maxQueuedBytes;
    private readonly int _maxQueuedFrames;
    private readonly CancellationTokenSource _sendCancellation = new();
    private readonly ILogger _logger;
    private long _queuedBytes;
    private long _sendStartedTimestamp;
    private int _closeCode;
    private string? _closeReason;
    private volatile bool _dropQueued;
    private Auth.ConnectionIdentity _identity = Auth.ConnectionIdentity.Anonymous("anon");

    public ClientConnection(WebSocket socket, int maxQueuedFrames, long maxQueuedBytes, ILogger logger, CoalescingStream? transport = null)
    {
        _socket = socket;
        _transport = transport;
        _maxQueuedBytes = maxQueuedBytes;
        _maxQueuedFrames = maxQueuedFrames;
        _logger = logger;
        _outbound = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(maxQueuedFrames)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long Id { get; } = Interlocked.Increment(ref s_nextId);

    /// <summary>How the connection's protocol writes connection-level events (heartbeat, token expiry and refresh).</summary>
    public ConnectionProtocol Protocol { get; init; } = ConnectionProtocol.Silent;

    /// <summary>The server's counters (drops, slow consumers, resyncs); null counts nothing (a connection made outside a server, as in unit tests).</summary>
    public Observability.SluiceMetrics? Metrics { get; init; }

    /// <summary>Set once the connection is closing; nothing more is queued.</summary>
    public bool IsClosing => Volatile.Read(ref _closeCode) != 0;

    /// <summary>The close code chosen when closing started; 0 while open.</summary>
    public int CloseCode => Volatile.Read(ref _closeCode);

    /// <summary>
    /// Who the connection is: database role and canonical claims, replaced as a whole when the token is refreshed
    /// (see <see cref="Auth.ConnectionAuth"/>). Anonymous with the default role until the endpoint sets it.
    /// </summary>
    public Auth.ConnectionIdentity Identity
    {
        get => Volatile.Read(ref _identity);
        internal set => Volatile.Write(ref _identity, value);
    }

    /// <summary>The router's bookkeeping for this connection; changed only under the router's lock.</summary>
    public Routing.SubscriberState RouterState { get; } = new();

    /// <summary>Delivery is paused because the token expired (see <see cref="RouterState"/>).</summary>
    internal bool DeliveryPaused => RouterState.DeliveryPaused;

    /// <summary>Subscriptions of this connection by channel (see <see cref="RouterState"/>).</summary>
    internal Dictionary<string, Routing.Subscription> Subscriptions => RouterState.Subscriptions;

    /// <summary>Queues a frame; a full queue marks the client a slow consumer and closes it.</summary>
    public bool TryEnqueue(byte[] frame) => TryEnqueue(new OutboundFrame(frame));

    /// <summary>Queues a frame sent as a binary WebSocket message.</summary>
    public bool TryEnqueueBinary(byte[] frame) => TryEnqueue(new OutboundFrame(frame, binary: true));

    /// <summary>Queues a change that the writer serializes when it sends it (see <see cref="OutboundFrame"/>).</summary>
    public bool TryEnqueue(Routing.FrameSource source, bool transactionEnd) => TryEnqueue(new OutboundFrame(source, transactionEnd));

    /// <summary>Queues a frame (text or binary, see <see cref="OutboundFrame"/>); a full queue marks the client a slow consumer and closes it.</summary>
    public bool TryEnqueue(OutboundFrame frame)
    {
        if (IsClosing)
            return false;
        if (Interlocked.Add(ref _queuedBytes, frame.QueuedBytes) > _maxQueuedBytes || !_outbound.Writer.TryWrite(frame))
        {
            Metrics?.Dropped();
            Close(CloseCodes.SlowConsumer, "slow_consumer: outbound queue full; reconnect and resubscribe");
            return false;
        }
        return true;
    }

    /// <summary>Waits until fewer than <paramref name="bytes"/> are queued (or the connection closes): back-pressure for bulk sends.</summary>
    public async Task WaitForQueueBelowAsync(long bytes, CancellationToken cancellationToken)
    {
        while (!IsClosing && (Interlocked.Read(ref _queuedBytes) > bytes || _outbound.Reader.Count > _maxQueuedFrames / 2))
            await Task.Delay(2, cancellationToken);
    }

    /// <summary>Whether a send has been pending longer than <paramref name="limit"/>.</summary>
    public bool IsSendStalled(TimeSpan limit)
    {
        var started = Volatile.Read(ref _sendStartedTimestamp);
        return started != 0 && Stopwatch.GetElapsedTime(started) > limit;
    }

    /// <summary>
    /// Starts closing: queued frames are dropped (or, with <paramref name="sendQueued"/>, sent first), a close
    /// frame is sent if the client still reads, and the transport is cut after a short grace period either way.
    /// </summary>
    public void Close(int code, string reason, bool sendQueued = false)
    {
        if (Interlocked.CompareExchange(ref _closeCode, code, 0) != 0)
            return;
        _closeReason = reason;
        _dropQueued = !sendQueued;
        if (code == CloseCodes.SlowConsumer)
        {
            Metrics?.SlowConsumerDisconnected();
            LogSlowConsumer(Id);
        }
        _outbound.Writer.TryComplete();
        _sendCancellation.CancelAfter(CloseGracePeriod);
    }

    /// <summary>Drains the queue to the socket until the connection closes.</summary>
    public async Task RunWriterAsync()
    {
        var reader = _outbound.Reader;
        var token = _sendCancellation.Token;
        var closeSent = false;
        try
        {
            while (await reader.WaitToReadAsync(token))
            {
                Volatile.Write(ref _sendStartedTimestamp, Stopwatch.GetTimestamp());
                if (_transport is not null)
                    await _transport.BeginBatchAsync(token);
                while (!(IsClosing && _dropQueued) && reader.TryRead(out var frame))
                {
                    await _socket.SendAsync(frame.Serialize(), frame.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, token);
                    Interlocked.Add(ref _queuedBytes, -frame.QueuedBytes);
                    if (_transport is { Buffered: > MaxBatchBytes })
                        await _transport.CommitAsync(endBatch: false, token);
                }
                if (_transport is not null)
                    await _transport.CommitAsync(endBatch: true, token);
                Volatile.Write(ref _sendStartedTimestamp, 0);
                if (IsClosing && _dropQueued)
                    break;
            }

            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                var code = Volatile.Read(ref _closeCode);
                await _socket.CloseOutputAsync(
                    code == 0 ? WebSocketCloseStatus.NormalClosure : (WebSocketCloseStatus)code,
                    _closeReason ?? string.Empty,
                    token);
                closeSent = true;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
            // The client is gone or did not read in time.
        }
        finally
        {
            Volatile.Write(ref _sendStartedTimestamp, 0);
        }

        if (!closeSent)
            _socket.Abort();
        else if (_socket.State != WebSocketState.Closed)
            _ = AbortUnlessClosedAsync();
    }

    /// <summary>A client that does not answer our close frame is cut off after the grace period.</summary>
    private async Task AbortUnlessClosedAsync()
    {
        await Task.Delay(CloseGracePeriod);
        if (_socket.State != WebSocketState.Closed)
            _socket.Abort();
    }

    /// <summary>Ends the writer after the reader loop is over (client gone or closed).</summary>
    public void Complete()
    {
        if (Interlocked.CompareExchange(ref _closeCode, (int)WebSocketCloseStatus.NormalClosure, 0) == 0)
            _dropQueued = true;
        _outbound.Writer.TryComplete();
        _sendCancellation.CancelAfter(CloseGracePeriod);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} is a slow consumer; closing it with 4008")]
    private partial void LogSlowConsumer(long connectionId);
}
