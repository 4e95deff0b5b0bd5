using System.Collections.Concurrent;
using System.Text.Json;
using Sluice.Client.Channels;
using Sluice.Client.Protocol;
using Sluice.Client.Telemetry;
using Sluice.Protocol;

namespace Sluice.Client;

public sealed partial class SluiceClient
{
    private static readonly AsyncLocal<ChannelState?> CurrentDispatcher = new();

    /// <summary>
    /// The client's channels by key (<see cref="ChannelState.Key"/>): a room by its channel; a table subscription by its
    /// channel and subscription id, so a client holds several subscriptions of one table.
    /// </summary>
    private readonly ConcurrentDictionary<string, ChannelState> _channels = new(StringComparer.Ordinal);

    /// <summary>
    /// Replies still owed to subscriptions closed before their ack, per channel key and connection: the next reply to a
    /// subscribe on that key belongs to the closed one, not to a newer subscription of the same key (only the key
    /// without an id is ever reused: ids are never).
    /// </summary>
    private readonly ConcurrentDictionary<string, (long SessionId, int Count)> _staleReplies = new(StringComparer.Ordinal);

    /// <summary>The number in the last subscription id handed out (<c>s2</c>, <c>s3</c>, …); ids are unique per client.</summary>
    private long _lastSubscriptionNumber = 1;

    /// <summary>
    /// Subscribes to the changes of a table (channel <c>table:{schema}.{table}</c>). Register handlers on the result;
    /// dispose it to unsubscribe. A client may hold several subscriptions and live tables of one table at once, each with
    /// its own filter and events, on its one connection (see the remarks).
    /// </summary>
    /// <param name="schema">The table's schema, exactly as in the catalog (e.g. <c>public</c>).</param>
    /// <param name="table">The table's name, exactly as in the catalog.</param>
    /// <param name="filter">A row filter such as <c>price=gt.100</c> (see the server's filter syntax); null for every row.</param>
    /// <param name="events">The change types wanted; default all.</param>
    /// <remarks>
    /// The first of a table's concurrent subscriptions (and live tables) is sent without a subscription id, as by clients
    /// before ids existed; each further one gets an id of this client's choosing (<c>s2</c>, <c>s3</c>, …, never reused),
    /// which the server echoes on every frame of it. Several at once need a server that supports subscription ids (the
    /// native protocol's <c>"id"</c>): an older server ignores the id and replaces the table's one subscription instead.
    /// </remarks>
    public TableSubscription Table(string schema, string table, string? filter = null, ChangeEvents events = ChangeEvents.All)
    {
        var channel = new TableChannel(schema, table);
        if (events == ChangeEvents.None)
            throw new ArgumentException("events must name at least one change type", nameof(events));
        var subscription = new TableSubscription(this, channel, filter, events, _serializer);
        subscription.State = Register(channel.ToString(), events, filter, wantsSnapshot: false, subscription);
        return subscription;
    }

    /// <summary>
    /// A local replica of a table (or of the rows matching <paramref name="filter"/>), kept exactly in sync: it starts
    /// from a snapshot, applies every transaction atomically, resumes after disconnects, resyncs when the server asks,
    /// and falls back to HTTP polling while no WebSocket can be made. Dispose it to stop.
    /// </summary>
    /// <typeparam name="TKey">The row key type.</typeparam>
    /// <typeparam name="TRow">The row type.</typeparam>
    /// <param name="schema">The table's schema.</param>
    /// <param name="table">The table's name.</param>
    /// <param name="key">Extracts the key (usually the primary key) from a row.</param>
    /// <param name="filter">A row filter such as <c>price=gt.100</c>; null for every row.</param>
    /// <param name="keyComparer">Compares keys; default equality.</param>
    /// <remarks>
    /// Live tables and subscriptions of one table share the client's connection, each with its own filter (see
    /// <see cref="Table"/> for how they are told apart).
    /// </remarks>
    public LiveTable<TKey, TRow> LiveTable<TKey, TRow>(string schema, string table, Func<TRow, TKey> key, string? filter = null,
        IEqualityComparer<TKey>? keyComparer = null) where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(key);
        var channel = new TableChannel(schema, table);
        var live = new LiveTable<TKey, TRow>(this, channel, filter, key, keyComparer, _serializer, _logger);
        live.State = Register(channel.ToString(), ChangeEvents.All, filter, wantsSnapshot: true, live);
        live.StartFallback();
        return live;
    }

    /// <summary>
    /// Files a new channel and starts it. A table channel the client already holds gets the next subscription id; a room
    /// the client already holds is refused (the server holds one subscription per room and connection).
    /// </summary>
    private ChannelState Register(string channel, ChangeEvents events, string? filter, bool wantsSnapshot, IChannelConsumer consumer, bool isRoom = false)
    {
        lock (_lifecycle)
            ObjectDisposedException.ThrowIf(_disposed, this);
        var state = new ChannelState(channel, events, filter, wantsSnapshot, Options.ChannelBufferCapacity, isRoom);
        if (!_channels.TryAdd(state.Key, state))
        {
            if (isRoom)
                throw new InvalidOperationException($"this client is already subscribed to {channel}; dispose that subscription first (the server holds one subscription per room and connection)");
            // A key with a fresh id is never taken.
            var id = "s" + Interlocked.Increment(ref _lastSubscriptionNumber).ToString(System.Globalization.CultureInfo.InvariantCulture);
            state = new ChannelState(channel, events, filter, wantsSnapshot, Options.ChannelBufferCapacity, isRoom, id);
            _channels[state.Key] = state;
        }
        state.Consumer = consumer;
        state.Dispatcher = Task.Run(() => DispatchAsync(state, consumer));
        _ = SubscribeAsync(state);
        return state;
    }

    /// <summary>Sends the channel's subscribe on the current connection: resuming from its last offset, or with a snapshot.</summary>
    internal async Task SubscribeAsync(ChannelState state)
    {
        var session = Volatile.Read(ref _session);
        if (session is null)
            return;
        byte[] frame;
        lock (state.Gate)
        {
            if (state.Closed || state.Overflowed)
                return;
            if (state.SessionId != session.Id)
            {
                state.SessionId = session.Id;
                state.Phase = ChannelPhase.Idle;
                state.ResubscribeWanted = false;
                state.SnapshotRows = null;
            }
            if (state.Phase == ChannelPhase.Pending)
            {
                state.ResubscribeWanted = true;
                return;
            }
            var since = state.LastOffset;
            var snapshot = since is null && (state.WantsSnapshot || state.ForceSnapshot);
            state.RefusedAsExpired = false;
            state.Phase = ChannelPhase.Pending;
            state.PendingSnapshot = snapshot;
            state.Generation++;
            frame = ClientFrames.Subscribe(state.Channel, state.Events, state.Filter, since, snapshot, state.IsRoom ? state.LastDatabaseOffset : null,
                state.SubscriptionId);
            ClientLog.Subscribing(_logger, state.Channel, since, snapshot);
        }
        using var activity = ClientTelemetry.ActivitySource.StartActivity("sluice.subscribe");
        activity?.SetTag("sluice.channel", state.Channel);
        if (state.SubscriptionId is { } id)
            activity?.SetTag("sluice.subscription_id", id);
        await session.SendAsync(frame, CancellationToken.None).ConfigureAwait(false);
    }

    private void HandleFrame(Connection.SocketSession session, ServerFrame frame)
    {
        if (frame.Type == FrameTypes.Heartbeat)
            return;
        // Only broadcasts carry a ref: their ack or refusal is no reply to a subscribe.
        if (frame.Type is FrameTypes.BroadcastAck or FrameTypes.Error && frame.Ref is { } reference && HandleBroadcastReply(frame, reference))
            return;
        // The reply to an unsubscribe of a channel that was refused anyway: nothing to tell anyone.
        if (frame.Type == FrameTypes.Error && frame.Code == ErrorCodes.NotSubscribed)
            return;
        if (frame.Type == FrameTypes.AuthOk)
        {
            OnAuthAccepted(session);
            return;
        }
        if (frame.Type == FrameTypes.Error && frame.Code == ErrorCodes.TokenExpired)
            OnTokenExpired();
        // A closed subscription's stale reply is recorded before its state leaves the map, so it is found either here
        // (no state) or under the lock of whichever state (closed or newer) holds the channel. Frames of a table
        // subscription with an id reach only that subscription (channel and id make the key).
        var isReply = frame.Type is FrameTypes.Ack or FrameTypes.Error or FrameTypes.ResyncRequired;
        var key = frame.Key;
        if (key is null || !_channels.TryGetValue(key, out var state))
        {
            if (key is not null && isReply && TryConsumeStaleReply(session.Id, key))
                return;
            if (frame.Type == FrameTypes.Error)
                ReportError(frame.Code ?? ErrorCodes.InternalError, frame.Error ?? "", frame.Channel);
            return;
        }
        var resubscribe = false;
        var acknowledged = false;
        var refused = false;
        lock (state.Gate)
        {
            if (isReply && TryConsumeStaleReply(session.Id, state.Key))
                return;
            if (state.Closed)
                return;
            var phase = state.PhaseIn(session.Id);
            switch (frame.Type)
            {
                case FrameTypes.Ack:
                    if (phase == ChannelPhase.Pending)
                    {
                        // A live subscribe's ack says where it starts: the resume point until the first change.
                        if (!state.PendingSnapshot && state.LastOffset is null && frame.Offset is { } startsAfter)
                            state.LastOffset = startsAfter;
                        // A room's database broadcasts start after this (the database_since it sent, or the present).
                        if (state.IsRoom && frame.DatabaseOffset is { } databaseStartsAfter)
                            state.LastDatabaseOffset = databaseStartsAfter;
                        state.Phase = state.PendingSnapshot ? ChannelPhase.Snapshotting : ChannelPhase.Live;
                        state.SnapshotRows = state.PendingSnapshot ? [] : null;
                        state.FailedAttempts = 0;
                        resubscribe = state.ResubscribeWanted;
                        state.ResubscribeWanted = false;
                        acknowledged = true;
                    }
                    else if (phase == ChannelPhase.Snapshotting)
                        state.SnapshotRows = [];
                    break;
                case FrameTypes.Snapshot:
                    if (phase == ChannelPhase.Snapshotting)
                        AcceptSnapshot(state, frame);
                    break;
                case FrameTypes.Broadcast:
                    if (phase == ChannelPhase.Live && state.IsRoom)
                        AcceptRoomMessage(state, frame);
                    else if (phase == ChannelPhase.Live)
                        AcceptChange(state, frame);
                    break;
                case FrameTypes.DatabaseBroadcast:
                    if (phase == ChannelPhase.Live && state.IsRoom)
                        AcceptDatabaseBroadcast(state, frame);
                    break;
                case FrameTypes.DatabaseResyncRequired:
                    if (state.IsRoom)
                        resubscribe = RestartDatabaseBroadcasts(state, phase, frame);
                    break;
                case FrameTypes.PresenceState or FrameTypes.PresenceDiff:
                    if (phase == ChannelPhase.Live && state.IsRoom)
                        AcceptPresence(state, frame);
                    break;
                case FrameTypes.ResyncRequired:
                    _telemetry.Resyncs.Add(1);
                    ClientLog.ResyncRequired(_logger, state.Channel, frame.Error);
                    var lostAfter = state.LastOffset;
                    state.LastOffset = null;
                    // A room has no snapshot: it starts again from the present, and what was published meanwhile is lost.
                    state.ForceSnapshot = !state.IsRoom;
                    var resync = new ResyncItem(frame.Error ?? "resync required", lostAfter);
                    // A room's only news of the lost messages must not be dropped by a full buffer: it waits for room there,
                    // ahead of anything written later (a bounded channel hands a waiting writer's item over first).
                    if (!state.Buffer.Writer.TryWrite(resync) && state.IsRoom)
                        _ = WriteWhenRoomAsync(state, resync);
                    if (phase != ChannelPhase.Paused)
                    {
                        state.Phase = ChannelPhase.Idle;
                        state.ResubscribeWanted = false;
                        resubscribe = true;
                    }
                    break;
                case FrameTypes.Error:
                    resubscribe = HandleChannelError(state, phase, frame);
                    refused = phase == ChannelPhase.Pending && state.Phase == ChannelPhase.Failed;
                    break;
            }
        }
        if (state.Consumer is RoomChannel room)
        {
            if (acknowledged)
                room.OnSubscribed();
            else if (refused)
                room.OnRefused(frame.Code ?? ErrorCodes.InternalError, frame.Error ?? "");
        }
        if (frame.Type == FrameTypes.Error)
            ReportError(frame.Code ?? ErrorCodes.InternalError, frame.Error ?? "", frame.Channel);
        if (resubscribe)
            _ = SubscribeAsync(state);
    }

    private void AcceptSnapshot(ChannelState state, ServerFrame frame)
    {
        var rows = state.SnapshotRows!;
        var first = rows.Count;
        foreach (var row in frame.Rows.EnumerateArray())
            rows.Add(row);
        foreach (var reduced in frame.ReducedSnapshotRows(first, rows))
            state.SnapshotReducedRows.Add(reduced);
        if (!frame.Last)
            return;
        var offset = frame.Offset;
        var item = new SnapshotItem(rows, offset, FromHttp: false, state.SnapshotReducedRows.Count == 0 ? null : [.. state.SnapshotReducedRows]);
        if (state.Buffer.Writer.TryWrite(item))
        {
            state.LastOffset = offset;
            state.ForceSnapshot = false;
            state.Phase = ChannelPhase.Live;
        }
        else
            Overflow(state);
        state.SnapshotRows = null;
    }

    private void AcceptChange(ChannelState state, ServerFrame frame)
    {
        ChangeFrame change;
        try
        {
            change = frame.ToChange();
        }
        catch (Exception ex) when (ex is FormatException or KeyNotFoundException or InvalidOperationException)
        {
            ClientLog.InvalidFrame(_logger, ex);
            ReportError(ClientErrorCodes.InvalidFrame, $"skipped a change frame that could not be read: {ex.Message}", state.Channel);
            return;
        }
        if (state.LastOffset is { } last && Offsets.IsAtOrBefore(change.Offset, last))
        {
            ClientLog.StaleChange(_logger, state.Channel, change.Offset, last);
            return;
        }
        if (!state.Buffer.Writer.TryWrite(new ChangeItem(change)))
        {
            Overflow(state);
            return;
        }
        state.LastOffset = change.Offset;
        if (change.CommitTimestamp != default)
            _telemetry.Lag.Record((_time.GetUtcNow() - change.CommitTimestamp).TotalMilliseconds);
    }

    private static async Task WriteWhenRoomAsync(ChannelState state, ChannelItem item)
    {
        try
        {
            await state.Buffer.Writer.WriteAsync(item).ConfigureAwait(false);
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            // The channel was closed meanwhile: nobody to tell.
        }
    }

    private bool HandleChannelError(ChannelState state, ChannelPhase phase, ServerFrame frame)
    {
        var code = frame.Code;
        if (phase == ChannelPhase.Pending && code == ErrorCodes.TokenExpired)
        {
            state.Phase = ChannelPhase.Idle;
            state.ResubscribeWanted = false;
            state.RefusedAsExpired = true;
        }
        else if (phase == ChannelPhase.Pending)
        {
            state.Phase = ChannelPhase.Failed;
            state.ResubscribeWanted = false;
            if (code is ErrorCodes.DatabaseUnavailable or ErrorCodes.InternalError)
                ScheduleRetry(state, code, frame.Error);
        }
        else if (code == ErrorCodes.SubscriptionInvalidated && phase is ChannelPhase.Live or ChannelPhase.Snapshotting)
            state.Phase = ChannelPhase.Failed;
        else if (code == ErrorCodes.DatabaseUnavailable && phase == ChannelPhase.Snapshotting)
        {
            // The snapshot could not be finished; ask again.
            state.Phase = ChannelPhase.Failed;
            ScheduleRetry(state, code, frame.Error);
        }
        return false;
    }

    /// <summary>
    /// After a transient refusal (<c>database_unavailable</c>, <c>internal_error</c>), asks the reconnect policy when to
    /// subscribe again on this connection (attempts in a row, time since the first, the server's code). When it says stop,
    /// the channel stays failed until the next connection subscribes it again.
    /// </summary>
    private void ScheduleRetry(ChannelState state, string code, string? message)
    {
        if (state.FailedAttempts == 0)
            state.FirstFailedAt = _time.GetTimestamp();
        var delay = Options.ReconnectPolicy.NextDelay(new ReconnectContext
        {
            Attempt = state.FailedAttempts++,
            Elapsed = _time.GetElapsedTime(state.FirstFailedAt),
            Starting = false,
            ErrorCode = code,
            LastError = new SluiceException(code, message ?? code),
        });
        if (delay is { } wait)
            _ = RetryLaterAsync(state, state.SessionId, wait);
    }

    private async Task RetryLaterAsync(ChannelState state, long sessionId, TimeSpan delay)
    {
        await Task.Delay(delay, _time).ConfigureAwait(false);
        lock (state.Gate)
        {
            if (state.Closed || state.SessionId != sessionId || state.Phase != ChannelPhase.Failed)
                return;
            state.Phase = ChannelPhase.Idle;
        }
        await SubscribeAsync(state).ConfigureAwait(false);
    }

    private void Overflow(ChannelState state)
    {
        state.Overflowed = true;
        state.Phase = ChannelPhase.Paused;
        state.SnapshotRows = null;
        _telemetry.BufferOverflows.Add(1);
        ClientLog.BufferOverflow(_logger, state.Channel, state.Capacity);
        ReportError(ClientErrorCodes.BufferOverflow,
            $"handlers fell {state.Capacity} items behind; the channel pauses and resumes from offset {state.LastOffset ?? "(snapshot)"}", state.Channel);
    }

    /// <summary>Runs a channel's handlers, one item at a time; resumes the channel once an overflow has been worked off.</summary>
    private async Task DispatchAsync(ChannelState state, IChannelConsumer consumer)
    {
        CurrentDispatcher.Value = state;
        var reader = state.Buffer.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                if (Volatile.Read(ref state.ClosedFlag))
                    return;
                await consumer.ConsumeAsync(item).ConfigureAwait(false);
                if (reader.Count <= state.Capacity / 2 && TryEndOverflow(state))
                    _ = SubscribeAsync(state);
            }
        }
    }

    private static bool TryEndOverflow(ChannelState state)
    {
        lock (state.Gate)
        {
            if (!state.Overflowed)
                return false;
            state.Overflowed = false;
            state.Phase = ChannelPhase.Idle;
            return true;
        }
    }

    /// <summary>
    /// Fallback mode: puts rows read over HTTP into the channel as a full refresh, unless a WebSocket subscription was
    /// made since the read began (then the stream is fresher). The next subscribe then starts from a fresh snapshot.
    /// </summary>
    internal bool TryEnqueueHttpSnapshot(ChannelState state, int generation, IReadOnlyList<JsonElement> rows)
    {
        var session = Volatile.Read(ref _session);
        lock (state.Gate)
        {
            if (state.Closed || state.Overflowed || state.Generation != generation)
                return false;
            if (session is not null && state.PhaseIn(session.Id) is ChannelPhase.Pending or ChannelPhase.Snapshotting or ChannelPhase.Live)
                return false;
            if (!state.Buffer.Writer.TryWrite(new SnapshotItem(rows, null, FromHttp: true)))
                return false;
            state.LastOffset = null;
            return true;
        }
    }

    private bool TryConsumeStaleReply(long sessionId, string key)
    {
        while (_staleReplies.TryGetValue(key, out var owed))
        {
            if (owed.SessionId != sessionId)
            {
                _staleReplies.TryRemove(new KeyValuePair<string, (long, int)>(key, owed));
                return false;
            }
            var updated = owed.Count > 1
                ? _staleReplies.TryUpdate(key, (sessionId, owed.Count - 1), owed)
                : _staleReplies.TryRemove(new KeyValuePair<string, (long, int)>(key, owed));
            if (updated)
                return true;
        }
        return false;
    }

    /// <summary>Ends a channel: no more deliveries, unsubscribed on the server when connected.</summary>
    internal async Task CloseChannelAsync(ChannelState state, bool sendUnsubscribe)
    {
        bool wasSubscribed;
        var session = Volatile.Read(ref _session);
        lock (state.Gate)
        {
            if (state.Closed)
                return;
            state.Closed = true;
            Volatile.Write(ref state.ClosedFlag, true);
            wasSubscribed = session is not null && state.PhaseIn(session.Id) != ChannelPhase.Idle;
            if (session is not null && state.PhaseIn(session.Id) == ChannelPhase.Pending)
                _staleReplies.AddOrUpdate(state.Key, (session.Id, 1),
                    (_, owed) => owed.SessionId == session.Id ? (owed.SessionId, owed.Count + 1) : (session.Id, 1));
        }
        _channels.TryRemove(new KeyValuePair<string, ChannelState>(state.Key, state));
        state.Buffer.Writer.TryComplete();
        state.Consumer?.OnClosed();
        if (sendUnsubscribe && wasSubscribed)
            await session!.SendAsync(ClientFrames.Unsubscribe(state.Channel, state.SubscriptionId), CancellationToken.None).ConfigureAwait(false);
        // A handler disposing its own subscription must not wait for itself.
        if (CurrentDispatcher.Value != state)
            await state.Dispatcher.ConfigureAwait(false);
    }
}
