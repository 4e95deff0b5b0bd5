using System.Diagnostics;
using System.Net.WebSockets;
using Sluice.Protocol;

namespace Sluice.Server.Connections;

/// <summary>
/// One WebSocket client: a bounded outbound queue (frames and bytes) whose frames reach the socket through one drainer
/// at a time. Frames are shared, immutable byte arrays. A client that cannot keep up is disconnected with
/// <see cref="CloseCodes.SlowConsumer"/> instead of making the server buffer without bound. Live changes fill at most
/// <see cref="LiveShare"/> of the frame limit: past it the client falls behind (<see cref="Routing.LiveDelivery.Behind"/>)
/// and is caught up from the retained log once its queue has drained, so a burst larger than the queue closes no one.
/// </summary>
/// <remarks>
/// Who sends: <see cref="_draining"/> is the right to write to the socket. Whoever sets it from 0 to 1 schedules a drainer
/// on the thread pool, which sends the queue and clears it when the queue is empty (then looks again, so a frame queued in
/// between is never stranded); once the connection has finished it stays 1 for good. A frame queued outside a
/// <see cref="Routing.DeliveryRound"/> schedules the drainer at once; frames the change dispatcher queues in a round wake
/// it once, when the round ends, so they go out together (one write and flush).
/// </remarks>
internal sealed partial class ClientConnection : Routing.ISubscriberSink, Routing.IDeferredSender, IThreadPoolWorkItem
{
    private static readonly TimeSpan CloseGracePeriod = TimeSpan.FromSeconds(2);
    private static long s_nextId;

    private const int MaxBatchBytes = 64 * 1024;

    /// <summary>The share of the frame limit live changes may fill; the rest stays free for other frames (acks, heartbeats, errors).</summary>
    private const double LiveShare = 0.75;

    private readonly WebSocket _socket;
    private readonly CoalescingStream? _transport;
    private readonly Queue<OutboundFrame> _queue = new();
    private readonly long _maxQueuedBytes;
    private readonly int _maxQueuedFrames;
    private readonly int _maxLiveFrames;
    private readonly CancellationTokenSource _sendCancellation = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private long _queuedBytes;
    private int _queuedFrames;
    private int _draining;
    private int _deferred;
    private long _sendStartedTimestamp;
    private int _closeCode;
    private string? _closeReason;
    private volatile bool _dropQueued;
    // Set after the close code, reason and _dropQueued are written: only then may the drainer finish.
    private volatile bool _closeReady;
    private Auth.ConnectionIdentity _identity = Auth.ConnectionIdentity.Anonymous("anon");
    // Cancels the sends CloseGracePeriod after closing started (on Time's clock); created once, by the first close.
    private ITimer? _graceTimer;
    // Set by the router when the client fell behind; taken (and called) by the drainer once the queue is empty.
    private Action<Routing.ISubscriberSink>? _whenDrained;

    public ClientConnection(WebSocket socket, int maxQueuedFrames, long maxQueuedBytes, ILogger logger, CoalescingStream? transport = null)
    {
        _socket = socket;
        _transport = transport;
        _maxQueuedBytes = maxQueuedBytes;
        _maxQueuedFrames = maxQueuedFrames;
        _maxLiveFrames = Math.Max(1, (int)(maxQueuedFrames * LiveShare));
        _logger = logger;
    }

    public long Id { get; } = Interlocked.Increment(ref s_nextId);

    /// <summary>How the connection's protocol writes connection-level events (heartbeat, token expiry and refresh).</summary>
    public ConnectionProtocol Protocol { get; init; } = ConnectionProtocol.Silent;

    /// <summary>The clock of the close grace period (a client that does not read is cut off this long after closing started).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

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

    /// <summary>Queues a change that the writer serializes when it sends it (see <see cref="OutboundFrame"/>).</summary>
    public bool TryEnqueue(Routing.FrameSource source, bool transactionEnd) => TryEnqueue(new OutboundFrame(source, transactionEnd));

    /// <summary>Queues a live change's shared frame, unless the queue has no room left for live changes (see <see cref="Routing.LiveDelivery"/>).</summary>
    public Routing.LiveDelivery TryEnqueueLive(byte[] frame, bool binary)
    {
        if (IsClosing)
            return Routing.LiveDelivery.Closed;
        if (Volatile.Read(ref _queuedFrames) >= _maxLiveFrames)
        {
            Metrics?.FellBehind();
            return Routing.LiveDelivery.Behind;
        }
        return TryEnqueue(new OutboundFrame(frame, binary)) ? Routing.LiveDelivery.Queued : Routing.LiveDelivery.Closed;
    }

    /// <summary>Calls <paramref name="catchUp"/> on the drainer once the queue is empty (see <see cref="Routing.ISubscriberSink.WhenDrained"/>).</summary>
    public void WhenDrained(Action<Routing.ISubscriberSink> catchUp)
    {
        Volatile.Write(ref _whenDrained, catchUp);
        // A drainer running now looks for it before it gives up the right to send; otherwise this one starts.
        ScheduleDrain();
    }

    /// <summary>Queues a frame (text or binary, see <see cref="OutboundFrame"/>); a full queue marks the client a slow consumer and closes it.</summary>
    public bool TryEnqueue(OutboundFrame frame)
    {
        if (IsClosing)
            return false;
        // A catch-up's replayed changes are not what the frame limit is for (a client that does not read): however many
        // changes a client missed, they reach it at the pace it reads; they count against the byte limit at their cost.
        var frames = 0;
        if (Interlocked.Add(ref _queuedBytes, frame.QueuedBytes) > _maxQueuedBytes
            || (frame.Source is null && (frames = Interlocked.Increment(ref _queuedFrames)) > _maxQueuedFrames))
        {
            Metrics?.Dropped();
            Close(CloseCodes.SlowConsumer, "slow_consumer: outbound queue full; reconnect and resubscribe");
            return false;
        }
        lock (_queue)
            _queue.Enqueue(frame);
        // A round defers the send while the queue is short (unless the connection was idle and the round is small, see
        // DeliveryRound); a longer one is drained at once so that a large round cannot fill it (the limit is for clients
        // that do not read, not for the size of a round).
        if (frames > _maxQueuedFrames / 4
            || !Routing.DeliveryRound.TryDefer(this, ref _deferred, idle: frames == 1 && Volatile.Read(ref _draining) == 0))
            ScheduleDrain();
        return true;
    }

    /// <summary>Drains what a delivery round queued (see <see cref="Routing.DeliveryRound"/>).</summary>
    void Routing.IDeferredSender.SendDeferred()
    {
        Volatile.Write(ref _deferred, 0);
        ScheduleDrain();
    }

    /// <summary>Waits until fewer than <paramref name="bytes"/> are queued (or the connection closes): back-pressure for bulk sends.</summary>
    public async Task WaitForQueueBelowAsync(long bytes, CancellationToken cancellationToken)
    {
        while (!IsClosing && (Interlocked.Read(ref _queuedBytes) > bytes || Volatile.Read(ref _queuedFrames) > _maxQueuedFrames / 2))
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
        _closeReady = true;
        StartGracePeriod();
        ScheduleDrain();
    }

    /// <summary>
    /// Completes once the connection has finished sending: the close frame sent, or the transport cut.
    /// Frames are sent as they are queued; nothing has to be started.
    /// </summary>
    public Task Finished => _finished.Task;

    /// <summary>Ends the writer after the reader loop is over (client gone or closed).</summary>
    public void Complete()
    {
        if (Interlocked.CompareExchange(ref _closeCode, (int)WebSocketCloseStatus.NormalClosure, 0) == 0)
        {
            _dropQueued = true;
            _closeReady = true;
        }
        StartGracePeriod();
        ScheduleDrain();
    }

    /// <summary>From the first close on, sends (the close frame included) have <see cref="CloseGracePeriod"/> to complete.</summary>
    private void StartGracePeriod()
    {
        if (Volatile.Read(ref _graceTimer) is not null)
            return;
        var timer = Time.CreateTimer(static state => ((CancellationTokenSource)state!).Cancel(), _sendCancellation, CloseGracePeriod, Timeout.InfiniteTimeSpan);
        if (Interlocked.CompareExchange(ref _graceTimer, timer, null) is not null)
            timer.Dispose();
    }

    private void ScheduleDrain()
    {
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => _ = DrainAsync();

    private bool TryDequeue(out OutboundFrame frame)
    {
        lock (_queue)
            return _queue.TryDequeue(out frame);
    }

    /// <summary>The next frame, if it is a replayed change of <paramref name="like"/>'s channel and format (the next of its batch).</summary>
    private bool TryDequeueReplayedLike(Routing.FrameSource like, out OutboundFrame frame)
    {
        lock (_queue)
        {
            if (_queue.TryPeek(out frame) && frame.Source is { } next && ReferenceEquals(next.Format, like.Format)
                && string.Equals(next.Channel, like.Channel, StringComparison.Ordinal))
                return _queue.TryDequeue(out frame);
        }
        frame = default;
        return false;
    }

    private bool HasQueued()
    {
        lock (_queue)
            return _queue.Count > 0;
    }

    /// <summary>Runs while it holds <see cref="_draining"/>; never throws (its task is not observed).</summary>
    private async Task DrainAsync()
    {
        var token = _sendCancellation.Token;
        try
        {
            while (true)
            {
                await SendQueuedAsync(token);
                if (_closeReady && (_dropQueued || !HasQueued()))
                {
                    await FinishAsync(token);
                    return;
                }
                // The client fell behind and everything queued has been sent: the router queues what it missed (from the
                // log) and resumes live delivery; those frames are sent by this drainer, on the next turn of the loop.
                if (!HasQueued() && Interlocked.Exchange(ref _whenDrained, null) is { } catchUp)
                {
                    catchUp(this);
                    continue;
                }
                Volatile.Write(ref _draining, 0);
                // Anything queued (or a close started, or a catch-up asked for) after the queue was seen empty scheduled no
                // drain while this one held the right to send: take it back and go on, unless someone else did. (Whoever
                // queues a frame schedules a drain after queuing it, so the queue itself, not the counter, is what to look at.)
                if ((!HasQueued() && !_closeReady && Volatile.Read(ref _whenDrained) is null) || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
                    return;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
            // The client is gone or did not read in time.
            Volatile.Write(ref _sendStartedTimestamp, 0);
            _socket.Abort();
            _finished.TrySetResult();
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _sendStartedTimestamp, 0);
            _socket.Abort();
            _finished.TrySetException(ex);
        }
    }

    /// <summary>Sends every queued frame (none once closing without sending what is queued), as one write and flush per 64 KiB.</summary>
    private async Task SendQueuedAsync(CancellationToken token)
    {
        var started = false;
        while (!(_closeReady && _dropQueued) && TryDequeue(out var frame))
        {
            if (!started)
            {
                started = true;
                Volatile.Write(ref _sendStartedTimestamp, Stopwatch.GetTimestamp());
                if (_transport is not null)
                    await _transport.BeginBatchAsync(token);
            }
            if (frame.Source is { Format.BatchesCatchUp: true } replayed && !frame.Binary)
            {
                await SendCatchUpBatchAsync(frame, replayed, token);
            }
            else
            {
                await _socket.SendAsync(frame.Serialize(), frame.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, token);
                Interlocked.Add(ref _queuedBytes, -frame.QueuedBytes);
                if (frame.Source is null)
                    Interlocked.Decrement(ref _queuedFrames);
            }
            if (_transport is { Buffered: > MaxBatchBytes })
            {
                await _transport.CommitAsync(endBatch: false, token);
                // A write completed: the client reads. A stall is one write that does not complete, not a long queue
                // (a catch-up of many changes, or a steady stream that keeps the drainer busy).
                Volatile.Write(ref _sendStartedTimestamp, Stopwatch.GetTimestamp());
            }
        }
        if (!started)
            return;
        if (_transport is not null)
            await _transport.CommitAsync(endBatch: true, token);
        Volatile.Write(ref _sendStartedTimestamp, 0);
    }

    /// <summary>
    /// Sends <paramref name="first"/> and the replayed changes of its channel queued right behind it as one message of the
    /// protocol's (about <see cref="MaxBatchBytes"/> at most), or alone when none is.
    /// </summary>
    private async Task SendCatchUpBatchAsync(OutboundFrame first, Routing.FrameSource source, CancellationToken token)
    {
        var frames = new List<byte[]> { first.Serialize() };
        var bytes = frames[0].Length;
        while (bytes < MaxBatchBytes && TryDequeueReplayedLike(source, out var next))
        {
            var frame = next.Serialize();
            frames.Add(frame);
            bytes += frame.Length + 1;
        }
        var message = frames.Count == 1 ? frames[0] : source.Format.CatchUpBatch(source.Channel, frames);
        await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, token);
        Interlocked.Add(ref _queuedBytes, -OutboundFrame.ReplayedCost * frames.Count);
    }

    /// <summary>Sends the close frame if the client still reads; the drainer's right to send is never given back.</summary>
    private async Task FinishAsync(CancellationToken token)
    {
        lock (_queue)
        {
            _queue.Clear();
            _queue.TrimExcess();
        }
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            var code = Volatile.Read(ref _closeCode);
            await _socket.CloseOutputAsync(
                code == 0 ? WebSocketCloseStatus.NormalClosure : (WebSocketCloseStatus)code,
                _closeReason ?? string.Empty,
                token);
            if (_socket.State != WebSocketState.Closed)
                _ = AbortUnlessClosedAsync();
        }
        else
        {
            _socket.Abort();
        }
        _finished.TrySetResult();
    }

    /// <summary>A client that does not answer our close frame is cut off after the grace period.</summary>
    private async Task AbortUnlessClosedAsync()
    {
        await Task.Delay(CloseGracePeriod, Time);
        if (_socket.State != WebSocketState.Closed)
            _socket.Abort();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} is a slow consumer; closing it with 4008")]
    private partial void LogSlowConsumer(long connectionId);
}
