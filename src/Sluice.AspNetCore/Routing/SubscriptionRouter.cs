using System.Runtime.CompilerServices;
using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Log;
using Sluice.Server.RowSecurity;
using Sluice.Server.Snapshots;

namespace Sluice.Server.Routing;

/// <summary>
/// Appends each committed change to the <see cref="ChangeLog"/> and matches it once against the
/// subscriptions of its table, handing every matching connection the same serialized frame. Subscribing,
/// catching up from the log and dispatching share one lock, so the hand-over from history to live
/// changes has no gap, no repeat and no reordering. Changes of tables with row-level security carry a verdict per
/// access group (computed before they are dispatched, see <see cref="RowAccess"/>); a subscriber receives what its
/// group's verdict allows. A subscriber whose queue has no room for live changes falls behind instead of being closed: live
/// delivery to it stops and continues from the log, exactly after the last change it was given, once its queue has drained.
/// </summary>
/// <remarks>
/// One lock, <c>_gate</c>, guards everything the router owns: the <see cref="ChangeLog"/>, the
/// <see cref="SubscriptionIndex"/> (with its <see cref="ChannelGroup"/>s), the <see cref="AccessInterest"/>, the
/// <see cref="TransactionHoldBack"/> and the <see cref="CommitWaiters"/>, each subscription's routing state and each
/// subscriber's <see cref="SubscriberState"/>. The helpers have no lock of their own and are only called with it held, so
/// every public method here is one atomic step over all of them. Frames are handed to each subscriber's
/// <see cref="ISubscriberSink"/> under the lock, in the order the client must see them.
/// </remarks>
internal sealed class SubscriptionRouter(ChangeLog log)
{
    private readonly Lock _gate = new();
    private readonly SubscriptionIndex _index = new();
    private readonly AccessInterest _interest = new();
    private readonly TransactionHoldBack _holdBack = new();
    private readonly CommitWaiters _commits = new();
    private readonly List<Subscription> _candidates = [];
    private readonly Dictionary<uint, TableSchema> _lastSchemaOf = [];
    private ChangeOffset _lastDispatched;
    // Made once: handed to the hold-back at every commit (a subscriber fell behind on a change that ended its transaction).
    private Action<ISubscriberSink>? _fellBehindAtCommit;

    /// <summary>Distinct channels with at least one subscriber.</summary>
    public int ChannelCount
    {
        get
        {
            lock (_gate)
                return _index.ChannelCount;
        }
    }

    public RetentionStats Retention
    {
        get
        {
            lock (_gate)
            {
                return new RetentionStats(log.Count, log.Bytes,
                    log.Count > 0 ? log[0].OffsetText : null,
                    log.Newest is { } newest ? log.Format(newest) : null);
            }
        }
    }

    /// <summary>
    /// Adds or replaces a live subscription and queues its ack in the same step; the ack carries the offset the
    /// subscription starts after, so a client that loses the connection before any change can still resume.
    /// </summary>
    public void Subscribe(Subscription subscription)
    {
        lock (_gate)
        {
            subscription.ResumeAfter = LiveStartLocked();
            subscription.LastDelivered = subscription.ResumeAfter;
            _interest.Acquire(subscription);
            AddLocked(subscription);
            if (subscription.Format.Subscribed(subscription.Channel, log.Format(subscription.ResumeAfter)) is { } subscribed)
                subscription.Connection.TryEnqueue(subscribed);
        }
    }

    /// <summary>
    /// Where a subscription made live now would start (as <see cref="Subscribe"/> starts it), with the log's epoch: resuming
    /// after it later (<see cref="Resume"/> with that epoch) misses nothing and repeats nothing, so a protocol can tell the
    /// client the start before the subscription's first frame may be queued.
    /// </summary>
    public (ChangeOffset After, string Epoch, string Text) LiveStart()
    {
        lock (_gate)
        {
            var after = LiveStartLocked();
            return (after, log.Epoch.Value, log.Format(after));
        }
    }

    /// <summary>Live from the next transaction: a subscription never starts halfway through one.</summary>
    private ChangeOffset LiveStartLocked() =>
        log.Count > 0 && log[log.Count - 1] is { TransactionEnd: false } inProgress
            ? new ChangeOffset(inProgress.Offset.CommitLsn, uint.MaxValue)
            : log.Newest ?? log.Horizon;

    /// <summary>
    /// Resumes after <paramref name="since"/>: ack, the retained changes after it, then live ones. False (and
    /// nothing registered) when the history since then is no longer retained, or when <paramref name="epoch"/> is given and
    /// the log has started over in another epoch since. <paramref name="ack"/> may be null (a protocol that confirms otherwise).
    /// </summary>
    public bool Resume(Subscription subscription, ChangeOffset since, byte[]? ack, string? epoch = null)
    {
        lock (_gate)
        {
            if (since < log.Horizon || (epoch is not null && !string.Equals(epoch, log.Epoch.Value, StringComparison.Ordinal)))
                return false;
            RemoveLocked(subscription.Connection, subscription.Channel);
            if (ack is not null)
                subscription.Connection.TryEnqueue(ack);
            subscription.ResumeAfter = since;
            subscription.LastDelivered = since;
            if (!CatchUpLocked(subscription, log.FirstIndexAfter(since), visibility: null))
                return true;
            AddLocked(subscription);
            return true;
        }
    }

    /// <summary>
    /// Ends a snapshot: queues the final snapshot frame with the offset the snapshot is consistent with,
    /// then the retained changes the snapshot does not contain, then goes live. False when changes the
    /// snapshot needs have already left the retention window.
    /// </summary>
    public bool CompleteSnapshot(Subscription subscription, SnapshotVisibility visibility, Func<string, byte[]> finalFrame) =>
        CompleteSnapshot(subscription, visibility, offset => [finalFrame(offset)]);

    /// <summary>
    /// Ends a snapshot as <see cref="CompleteSnapshot(Subscription, SnapshotVisibility, Func{string, byte[]})"/> does, with
    /// the frames <paramref name="firstFrames"/> makes (in order) in place of one final frame.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one call per snapshot, a loop over the log: see CatchUpLocked
    public bool CompleteSnapshot(Subscription subscription, SnapshotVisibility visibility, Func<string, IReadOnlyList<byte[]>> firstFrames)
    {
        lock (_gate)
        {
            if (log.Horizon.CommitLsn >= visibility.StartLsn && log.Horizon != default)
                return false;

            // The snapshot's offset: the last change before the first transaction the snapshot does not contain.
            var consistentWith = log.Horizon;
            var first = 0;
            for (; first < log.Count; first++)
            {
                var entry = log[first];
                if (!visibility.Contains(entry.Xid, entry.Offset.CommitLsn))
                    break;
                consistentWith = entry.Offset;
            }
            foreach (var frame in firstFrames(log.Format(consistentWith)))
                subscription.Connection.TryEnqueue(frame);
            subscription.ResumeAfter = consistentWith;
            subscription.LastDelivered = consistentWith;
            if (!CatchUpLocked(subscription, first, visibility))
                return true;
            AddLocked(subscription);
            return true;
        }
    }

    /// <summary>
    /// Registers the subscription's access group (from its connection's identity) as interested in its table, so every
    /// change dispatched from now on carries that group's verdict. Call before catching up; released when the
    /// subscription ends (or by <see cref="ReleaseIfInactive"/> when it never started).
    /// </summary>
    public AccessGroup Acquire(Subscription subscription)
    {
        lock (_gate)
        {
            _interest.Acquire(subscription);
            return subscription.Group!;
        }
    }

    /// <summary>Releases the interest of a subscription that did not become the connection's subscription of its channel.</summary>
    public void ReleaseIfInactive(Subscription subscription)
    {
        lock (_gate)
        {
            if (!subscription.Connection.RouterState.Subscriptions.TryGetValue(subscription.Channel, out var active) || !ReferenceEquals(active, subscription))
                _interest.Release(subscription);
        }
    }

    /// <summary>The access groups interested in each table, and the version to pass to <see cref="Dispatch(TransactionBatch, DateTime, long)"/>.</summary>
    public (long Version, Dictionary<TableKey, AccessGroup[]> Groups) SnapshotInterest()
    {
        lock (_gate)
            return (_interest.Version, _interest.Copy());
    }

    /// <summary>
    /// The retained changes of the subscription's table after <paramref name="after"/> (and not in <paramref name="visibility"/>'s
    /// snapshot) that carry row-level security verdicts: what its catch-up replays, to be judged for its group just before.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one call per catch-up, a loop over the log: see CatchUpLocked
    public List<RowChange> ChangesToJudgeForCatchUp(Subscription subscription, ChangeOffset after, SnapshotVisibility? visibility)
    {
        var toJudge = new List<RowChange>();
        lock (_gate)
        {
            var table = subscription.Table;
            for (var i = log.FirstIndexAfter(after); i < log.Count; i++)
            {
                var entry = log[i];
                var change = entry.Change;
                if (change.Verdicts is not null
                    && change.Table.Name == table.Table && change.Table.Schema == table.Schema
                    && (visibility is null || !visibility.Contains(entry.Xid, entry.Offset.CommitLsn)))
                    toJudge.Add(change);
            }
        }
        return toJudge;
    }

    /// <summary>The table subscriptions of <paramref name="connection"/>, as they are now.</summary>
    public List<Subscription> SubscriptionsOf(ISubscriberSink connection)
    {
        lock (_gate)
            return [.. connection.RouterState.Subscriptions.Values];
    }

    /// <summary>The commit LSN of the last transaction dispatched (0 before the first).</summary>
    public ulong LastCommitLsn
    {
        get
        {
            lock (_gate)
                return _commits.LastCommitLsn;
        }
    }

    /// <summary>
    /// The connection's claims changed (a token refresh for another user or role): what it may see changed, so every
    /// table subscription ends with <c>resync_required</c> and is subscribed again, with a snapshot, under the new claims.
    /// Database broadcasts stay: whether a channel receives them was decided for its topic when it joined, and a protocol
    /// that decides it by the claims asks again itself (a Supabase private channel, before the new token applies).
    /// </summary>
    public void EndForNewIdentity(ISubscriberSink connection)
    {
        lock (_gate)
        {
            foreach (var subscription in connection.RouterState.Subscriptions.Values.ToArray())
            {
                if (subscription.ReadsDatabaseBroadcastsAsServer)
                    continue;
                RemoveLocked(connection, subscription.Channel);
                subscription.Format.ResyncRequired(connection, subscription.Channel,
                    "the token's role or claims changed, so the rows you may see changed; subscribe again with a snapshot");
            }
        }
    }

    /// <summary>Removes a subscription; false when the connection had none on that channel.</summary>
    public bool Unsubscribe(ISubscriberSink connection, string channel, byte[]? confirmation)
    {
        lock (_gate)
        {
            if (!RemoveLocked(connection, channel))
                return false;
            if (confirmation is not null)
                connection.TryEnqueue(confirmation);
            return true;
        }
    }

    public void RemoveAll(ISubscriberSink connection)
    {
        lock (_gate)
        {
            foreach (var channel in connection.RouterState.Subscriptions.Keys.ToArray())
                RemoveLocked(connection, channel);
        }
    }

    /// <summary>
    /// Stops delivering to <paramref name="connection"/> (its token expired) and queues <paramref name="notice"/>
    /// as the last frame before the pause. Subscriptions stay registered; a change held back to learn whether it
    /// ends its transaction is dropped, to be delivered again on resume.
    /// </summary>
    public void PauseDelivery(ISubscriberSink connection, byte[]? notice)
    {
        lock (_gate)
        {
            if (connection.RouterState.DeliveryPaused)
                return;
            connection.RouterState.DeliveryPaused = true;
            foreach (var subscription in connection.RouterState.Subscriptions.Values)
            {
                // A subscriber that fell behind keeps where that left it; otherwise every change routed so far was delivered
                // or did not match, except a held-back one.
                if (!connection.RouterState.Behind)
                    subscription.LastDelivered = ResumePointLocked(subscription, _lastDispatched);
                _holdBack.Drop(subscription);
            }
            if (notice is not null)
                connection.TryEnqueue(notice);
        }
    }

    /// <summary>
    /// Queues <paramref name="confirmation"/>, then, if delivery was paused, continues every subscription right
    /// after the last change it delivered: the retained changes since then (as a <c>since</c> resume does), then
    /// live ones. A subscription whose next change has left the retention window ends with <c>resync_required</c>.
    /// </summary>
    public void ResumeDelivery(ISubscriberSink connection, byte[]? confirmation)
    {
        lock (_gate)
        {
            if (confirmation is not null)
                connection.TryEnqueue(confirmation);
            if (!connection.RouterState.DeliveryPaused)
                return;
            connection.RouterState.DeliveryPaused = false;
            // One that also fell behind continues when its queue has drained (CatchUpBehind).
            if (!connection.RouterState.Behind)
                ContinueLocked(connection, "changes made while the token was expired have left the retention window; subscribe again with a snapshot");
        }
    }

    /// <summary>
    /// A subscriber that fell behind has sent everything it had queued: its subscriptions continue from the log right after the
    /// last change each was given (a subscription whose next change has left the retention window ends with
    /// <c>resync_required</c>), then live. Runs on the subscriber's drainer (<see cref="ISubscriberSink.WhenDrained"/>).
    /// </summary>
    private void CatchUpBehind(ISubscriberSink connection)
    {
        lock (_gate)
        {
            if (!connection.RouterState.Behind)
                return;
            connection.RouterState.Behind = false;
            foreach (var subscription in connection.RouterState.Subscriptions.Values)
                _holdBack.Drop(subscription);
            // A paused subscriber continues when its token is refreshed (ResumeDelivery).
            if (!connection.RouterState.DeliveryPaused)
                ContinueLocked(connection, "this connection fell behind and the changes it missed have left the retention window; subscribe again with a snapshot");
        }
    }

    /// <summary>Continues every subscription of <paramref name="connection"/> right after <see cref="Subscription.LastDelivered"/>.</summary>
    private void ContinueLocked(ISubscriberSink connection, string resyncReason)
    {
        foreach (var subscription in connection.RouterState.Subscriptions.Values.ToArray())
        {
            if (subscription.LastDelivered < log.Horizon)
            {
                RemoveLocked(connection, subscription.Channel);
                subscription.Format.ResyncRequired(connection, subscription.Channel, resyncReason);
                continue;
            }
            subscription.ResumeAfter = subscription.LastDelivered;
            var visibility = subscription.DeferredVisibility;
            subscription.DeferredVisibility = null;
            CatchUpLocked(subscription, log.FirstIndexAfter(subscription.LastDelivered), visibility);
        }
    }

    /// <summary>
    /// The live change <paramref name="connection"/> was just handed found its queue full (<see cref="LiveDelivery.Behind"/>):
    /// live delivery to it stops, each subscription remembers where it stands, and it continues from the log once the
    /// queue has drained. Every change up to <paramref name="routedThrough"/> has been routed to all its subscriptions.
    /// </summary>
    private void FallBehindLocked(ISubscriberSink connection, ChangeOffset routedThrough)
    {
        var state = connection.RouterState;
        if (state.Behind)
            return;
        state.Behind = true;
        // A paused subscriber is handed no live change, so this one is not paused; its held changes stay held (the commit
        // skips them, CatchUpBehind drops them) so that nothing is removed from the hold-back while it is being flushed.
        foreach (var subscription in state.Subscriptions.Values)
            subscription.LastDelivered = ResumePointLocked(subscription, routedThrough);
        connection.WhenDrained(CatchUpBehind);
    }

    /// <summary>
    /// Where <paramref name="subscription"/> continues if live delivery stops now, every change up to <paramref name="routedThrough"/>
    /// having been routed to it: right before its held-back change (not yet queued), else after what it has seen (not merely
    /// its last match, so a rarely matching filter cannot fall out of retention), and never before where it started.
    /// </summary>
    private static ChangeOffset ResumePointLocked(Subscription subscription, ChangeOffset routedThrough)
    {
        if (subscription.Pending is { } pending)
            return Before(pending.Entry.Offset);
        var point = subscription.LastDelivered > routedThrough ? subscription.LastDelivered : routedThrough;
        return point > subscription.ResumeAfter ? point : subscription.ResumeAfter;
    }

    private static ChangeOffset Before(ChangeOffset offset) =>
        offset.Index > 0 ? new ChangeOffset(offset.CommitLsn, offset.Index - 1) : new ChangeOffset(offset.CommitLsn - 1, uint.MaxValue);

    /// <summary>Completes once a transaction committed at or after <paramref name="lsn"/> has been dispatched.</summary>
    public Task WaitForCommitAsync(ulong lsn)
    {
        lock (_gate)
            return _commits.WaitFor(lsn);
    }

    /// <summary>
    /// The log starts over (the slot was recreated, or a cluster node cannot prove its log has every change of the stream):
    /// every subscriber must resync.
    /// </summary>
    private void RestartLocked(EpochStart start)
    {
        log.Restart(start.Epoch, start.ConfirmedFlushLsn);
        _lastDispatched = default;
        _commits.Restart();
        foreach (var subscription in _index.All() ?? [])
        {
            RemoveLocked(subscription.Connection, subscription.Channel);
            subscription.Format.ResyncRequired(subscription.Connection, subscription.Channel,
                "the change log started over (the replication slot was recreated, or this node lost its place in the cluster's change stream) and changes may have been lost; subscribe again with a snapshot");
        }
    }

    /// <summary>Logs and routes one batch; changes at or before the last routed offset (a replay after reconnect) are skipped.</summary>
    public void Dispatch(TransactionBatch batch, DateTime utcNow) => Dispatch(batch, utcNow, interestVersion: -1);

    /// <summary>
    /// Like <see cref="Dispatch(TransactionBatch, DateTime)"/>, for a batch whose verdicts were computed for the interest of
    /// <paramref name="interestVersion"/> (<see cref="SnapshotInterest"/>): false, and nothing done, when a batch with
    /// row-level security verdicts meets a newer interest (a group joined since); compute the missing verdicts and retry.
    /// </summary>
    public bool Dispatch(TransactionBatch batch, DateTime utcNow, long interestVersion)
    {
        lock (_gate)
        {
            if (interestVersion >= 0 && interestVersion != _interest.Version && NeedsVerdicts(batch))
                return false;
            DispatchLocked(batch, utcNow);
            return true;
        }
    }

    private static bool NeedsVerdicts(TransactionBatch batch)
    {
        foreach (var change in batch.Changes)
        {
            if (change.Verdicts is not null)
                return true;
        }
        return false;
    }

    private void DispatchLocked(TransactionBatch batch, DateTime utcNow)
    {
        if (batch.NewEpoch is { } start)
        {
            RestartLocked(start);
            return;
        }
        var changes = batch.Changes;
        for (var i = 0; i < changes.Length; i++)
        {
            var offset = new ChangeOffset(batch.CommitLsn, batch.FirstIndex + (uint)i);
            if (offset <= _lastDispatched)
                continue;
            _lastDispatched = offset;
            var change = changes[i];
            if (!ReferenceEquals(_lastSchemaOf.GetValueOrDefault(change.Table.RelationId), change.Table))
            {
                _lastSchemaOf[change.Table.RelationId] = change.Table;
                EndRenamedLocked(change.Table);
            }
            var entry = log.Append(offset, change, batch.CommitTimestamp, batch.Xid, transactionEnd: batch.IsLast && i == changes.Length - 1);
            if (_index.TryGetChannels(new TableKey(change.Table.Schema, change.Table.Name), out var channels))
                RouteLocked(entry, channels);
        }

        foreach (var disabled in batch.Disabled)
            EndDisabledLocked(disabled);
        if (batch.IsLast && batch.CommitLsn > _commits.LastCommitLsn)
        {
            log.EndTransaction(batch.CommitLsn, batch.EndLsn);
            _holdBack.Committed(_fellBehindAtCommit ??= connection => FallBehindLocked(connection, routedThrough: _lastDispatched));
            _commits.Committed(batch.CommitLsn);
        }
        log.Evict(utcNow);
    }

    private void RouteLocked(LogEntry entry, Dictionary<string, ChannelGroup> channels)
    {
        List<Subscription>? invalidated = null;
        foreach (var group in channels.Values)
        {
            _candidates.Clear();
            group.CollectCandidates(entry.Change, _candidates);
            FrameSource? asCaptured = null;
            FrameSource? withoutOld = null;
            FrameSource? asDelete = null;
            foreach (var subscription in _candidates)
            {
                if (entry.Offset <= subscription.ResumeAfter || subscription.Connection.RouterState.Suspended)
                    continue;
                switch (SubscriptionMatch.Of(subscription, entry.Change))
                {
                    case SubscriptionMatch.Result.Matches:
                        if (!RowSecurityGate.Allows(subscription, entry, out var shape))
                            break;
                        if (!_holdBack.HoldLive(subscription, shape switch
                            {
                                ChangeShape.WithoutOld => withoutOld ??= new FrameSource(subscription.Format, group.Channel, entry, shape),
                                ChangeShape.AsDelete => asDelete ??= new FrameSource(subscription.Format, group.Channel, entry, shape),
                                _ => asCaptured ??= new FrameSource(subscription.Format, group.Channel, entry),
                            }))
                            FallBehindLocked(subscription.Connection, Before(entry.Offset));
                        break;
                    case SubscriptionMatch.Result.Invalidated:
                        (invalidated ??= []).Add(subscription);
                        break;
                    case SubscriptionMatch.Result.Exceeded:
                        SubscriptionMatch.ReportFilterExceeded(subscription, entry);
                        break;
                    case SubscriptionMatch.Result.TooLarge:
                        SubscriptionMatch.ReportTooLarge(subscription, entry);
                        break;
                }
            }
        }
        _candidates.Clear();
        if (invalidated is not null)
        {
            foreach (var subscription in invalidated)
                InvalidateLocked(subscription);
        }
    }

    /// <summary>Replays retained changes from <paramref name="from"/>; false when the subscription got invalidated.</summary>
    /// <remarks>
    /// Fully optimized from its first call: it runs once per resume or snapshot, too rarely for the tiered JIT to promote it by
    /// call counts, so each catch-up would loop over up to the whole retention window in unoptimized code until on-stack
    /// replacement kicks in (a JIT log of the bench's resume found it compiled anew for OSR in the measured replay).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool CatchUpLocked(Subscription subscription, int from, SnapshotVisibility? visibility)
    {
        // A suspended connection catches up when it continues, from LastDelivered (and past what this snapshot contains).
        if (subscription.Connection.RouterState.Suspended)
        {
            subscription.DeferredVisibility = visibility;
            return true;
        }
        var table = subscription.Table;
        for (var i = from; i < log.Count; i++)
        {
            var entry = log[i];
            var change = entry.Change;
            if (change.Table.Name == table.Table && change.Table.Schema == table.Schema
                && entry.Offset > subscription.ResumeAfter
                && (visibility is null || !visibility.Contains(entry.Xid, entry.Offset.CommitLsn)))
            {
                switch (SubscriptionMatch.Of(subscription, change))
                {
                    case SubscriptionMatch.Result.Matches:
                        if (!RowSecurityGate.Allows(subscription, entry, out var shape))
                            break;
                        // Private to this subscription: serialized by the connection's writer, outside the lock.
                        _holdBack.HoldReplayed(subscription, new FrameSource(subscription.Format, subscription.Channel, entry, shape));
                        break;
                    case SubscriptionMatch.Result.Invalidated:
                        InvalidateLocked(subscription);
                        return false;
                    case SubscriptionMatch.Result.Exceeded:
                        SubscriptionMatch.ReportFilterExceeded(subscription, entry);
                        break;
                    case SubscriptionMatch.Result.TooLarge:
                        SubscriptionMatch.ReportTooLarge(subscription, entry);
                        break;
                }
            }
            if (entry.TransactionEnd)
                _holdBack.EndReplayed(subscription);
        }
        // The log ends halfway through a transaction: its held change waits for the commit, dispatched live.
        _holdBack.Continue(subscription);
        return true;
    }

    /// <summary>
    /// A relation arrived under a new description: subscriptions made to it under another name (the table was renamed or
    /// moved to another schema) end with <c>subscription_invalidated</c> naming the new channel. The change itself, under
    /// its new name, is not delivered to them: a channel names one table.
    /// </summary>
    private void EndRenamedLocked(TableSchema table)
    {
        if (table.RelationId == 0)
            return;
        var current = new TableKey(table.Schema, table.Name);
        var renamed = _index.Where((key, subscription) => key != current && subscription.RelationId == table.RelationId);
        if (renamed is null)
            return;
        var channel = new TableChannel(table.Schema, table.Name).ToString();
        foreach (var subscription in renamed)
        {
            RemoveLocked(subscription.Connection, subscription.Channel);
            subscription.Format.Error(subscription.Connection, subscription.Channel, ErrorCodes.SubscriptionInvalidated,
                $"the table {subscription.Table.Schema}.{subscription.Table.Table} was renamed or moved: it is now {channel}; subscription ended (subscribe to {channel})", ended: true);
        }
    }

    /// <summary><c>disable_realtime</c> committed: the table's subscriptions end with <c>subscription_invalidated</c>, after its last change.</summary>
    private void EndDisabledLocked(RealtimeDisabled disabled)
    {
        var key = new TableKey(disabled.Schema, disabled.Table);
        var ended = _index.Where((table, subscription) => table == key || subscription.RelationId == disabled.RelationId && subscription.RelationId != 0);
        foreach (var subscription in ended ?? [])
        {
            RemoveLocked(subscription.Connection, subscription.Channel);
            subscription.Format.Error(subscription.Connection, subscription.Channel, ErrorCodes.SubscriptionInvalidated,
                $"realtime was disabled for {disabled.Schema}.{disabled.Table} (disable_realtime); subscription ended", ended: true);
        }
    }

    private void InvalidateLocked(Subscription subscription)
    {
        RemoveLocked(subscription.Connection, subscription.Channel);
        subscription.Format.Error(subscription.Connection, subscription.Channel,
            ErrorCodes.SubscriptionInvalidated,
            $"the table changed and the filter \"{subscription.FilterText}\" no longer applies; subscription ended", ended: true);
    }

    /// <summary>Makes <paramref name="subscription"/> its connection's subscription of its channel, replacing any other.</summary>
    private void AddLocked(Subscription subscription)
    {
        RemoveLocked(subscription.Connection, subscription.Channel);
        _index.Add(subscription);
    }

    /// <summary>Ends the connection's subscription of <paramref name="channel"/>: unfiled, its interest released, its held-back change dropped.</summary>
    private bool RemoveLocked(ISubscriberSink connection, string channel)
    {
        if (!_index.TryRemove(connection, channel, out var existing))
            return false;
        _interest.Release(existing);
        _holdBack.Drop(existing);
        return true;
    }
}
