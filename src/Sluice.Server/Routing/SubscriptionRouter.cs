using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Connections;
using Sluice.Server.Filters;
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
/// group's verdict allows.
/// </summary>
public sealed class SubscriptionRouter(ChangeLog log)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TableKey, Dictionary<string, ChannelGroup>> _tables = [];
    private readonly List<Subscription> _candidates = [];
    private readonly List<Subscription> _pendingInTransaction = [];
    private readonly List<(ulong Lsn, TaskCompletionSource Done)> _waiters = [];
    private readonly Dictionary<string, AccessGroup> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<TableKey, Dictionary<AccessGroup, int>> _interest = [];
    private readonly Dictionary<uint, TableSchema> _lastSchemaOf = [];
    private long _interestVersion;
    private ChangeOffset _lastDispatched;
    private ulong _lastCommitLsn;

    /// <summary>Distinct channels with at least one subscriber.</summary>
    public int ChannelCount
    {
        get
        {
            lock (_gate)
            {
                var count = 0;
                foreach (var channels in _tables.Values)
                    count += channels.Count;
                return count;
            }
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
            // Live from the next transaction: a subscription never starts halfway through one.
            subscription.ResumeAfter = log.Count > 0 && log[log.Count - 1] is { TransactionEnd: false } inProgress
                ? new ChangeOffset(inProgress.Offset.CommitLsn, uint.MaxValue)
                : log.Newest ?? log.Horizon;
            subscription.LastDelivered = subscription.ResumeAfter;
            AcquireLocked(subscription);
            AddLocked(subscription);
            if (subscription.Format.Subscribed(subscription.Channel, log.Format(subscription.ResumeAfter)) is { } subscribed)
                subscription.Connection.TryEnqueue(subscribed);
        }
    }

    /// <summary>
    /// Resumes after <paramref name="since"/>: ack, the retained changes after it, then live ones. False (and
    /// nothing registered) when the history since then is no longer retained. <paramref name="ack"/> may be null (a
    /// protocol that confirms otherwise).
    /// </summary>
    public bool Resume(Subscription subscription, ChangeOffset since, byte[]? ack)
    {
        lock (_gate)
        {
            if (since < log.Horizon)
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
    public bool CompleteSnapshot(Subscription subscription, SnapshotVisibility visibility, Func<string, byte[]> finalFrame)
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
            subscription.Connection.TryEnqueue(finalFrame(log.Format(consistentWith)));
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
            AcquireLocked(subscription);
            return subscription.Group!;
        }
    }

    /// <summary>Releases the interest of a subscription that did not become the connection's subscription of its channel.</summary>
    public void ReleaseIfInactive(Subscription subscription)
    {
        lock (_gate)
        {
            if (!subscription.Connection.Subscriptions.TryGetValue(subscription.Channel, out var active) || !ReferenceEquals(active, subscription))
                ReleaseLocked(subscription);
        }
    }

    /// <summary>The access groups interested in each table, and the version to pass to <see cref="Dispatch(TransactionBatch, DateTime, long)"/>.</summary>
    public (long Version, Dictionary<TableKey, AccessGroup[]> Groups) SnapshotInterest()
    {
        lock (_gate)
        {
            var groups = new Dictionary<TableKey, AccessGroup[]>(_interest.Count);
            foreach (var (table, byGroup) in _interest)
                groups[table] = [.. byGroup.Keys];
            return (_interestVersion, groups);
        }
    }

    /// <summary>
    /// The retained changes of the subscription's table after <paramref name="after"/> (and not in <paramref name="visibility"/>'s
    /// snapshot) that carry row-level security verdicts: what its catch-up replays, to be judged for its group just before.
    /// </summary>
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
    public List<Subscription> SubscriptionsOf(ClientConnection connection)
    {
        lock (_gate)
            return [.. connection.Subscriptions.Values];
    }

    /// <summary>The commit LSN of the last transaction dispatched (0 before the first).</summary>
    public ulong LastCommitLsn
    {
        get
        {
            lock (_gate)
                return _lastCommitLsn;
        }
    }

    /// <summary>
    /// The connection's claims changed (a token refresh for another user or role): what it may see changed, so every
    /// table subscription ends with <c>resync_required</c> and is subscribed again, with a snapshot, under the new claims.
    /// </summary>
    public void EndForNewIdentity(ClientConnection connection)
    {
        lock (_gate)
        {
            foreach (var subscription in connection.Subscriptions.Values.ToArray())
            {
                RemoveLocked(connection, subscription.Channel);
                subscription.Format.ResyncRequired(connection, subscription.Channel,
                    "the token's role or claims changed, so the rows you may see changed; subscribe again with a snapshot");
            }
        }
    }

    private void AcquireLocked(Subscription subscription)
    {
        if (subscription.HoldsInterest)
            return;
        var identity = subscription.Connection.Identity;
        if (!_groups.TryGetValue(identity.ClaimSetKey, out var group))
            _groups[identity.ClaimSetKey] = group = new AccessGroup(identity);
        group.References++;
        if (!_interest.TryGetValue(subscription.Table, out var byGroup))
            _interest[subscription.Table] = byGroup = new Dictionary<AccessGroup, int>(ReferenceEqualityComparer.Instance);
        var count = byGroup.GetValueOrDefault(group);
        byGroup[group] = count + 1;
        // Only a group new to the table can lack verdicts of changes on their way to dispatch.
        if (count == 0)
            _interestVersion++;
        subscription.Group = group;
        subscription.HoldsInterest = true;
    }

    private void ReleaseLocked(Subscription subscription)
    {
        if (!subscription.HoldsInterest)
            return;
        subscription.HoldsInterest = false;
        var group = subscription.Group!;
        if (_interest.TryGetValue(subscription.Table, out var byGroup) && byGroup.TryGetValue(group, out var count))
        {
            if (count <= 1)
            {
                byGroup.Remove(group);
                if (byGroup.Count == 0)
                    _interest.Remove(subscription.Table);
            }
            else
            {
                byGroup[group] = count - 1;
            }
        }
        if (--group.References <= 0)
            _groups.Remove(group.Key);
    }

    /// <summary>Removes a subscription; false when the connection had none on that channel.</summary>
    public bool Unsubscribe(ClientConnection connection, string channel, byte[]? confirmation)
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

    public void RemoveAll(ClientConnection connection)
    {
        lock (_gate)
        {
            foreach (var channel in connection.Subscriptions.Keys.ToArray())
                RemoveLocked(connection, channel);
        }
    }

    /// <summary>
    /// Stops delivering to <paramref name="connection"/> (its token expired) and queues <paramref name="notice"/>
    /// as the last frame before the pause. Subscriptions stay registered; a change held back to learn whether it
    /// ends its transaction is dropped, to be delivered again on resume.
    /// </summary>
    public void PauseDelivery(ClientConnection connection, byte[]? notice)
    {
        lock (_gate)
        {
            if (connection.DeliveryPaused)
                return;
            connection.DeliveryPaused = true;
            foreach (var subscription in connection.Subscriptions.Values)
            {
                // Every change routed so far was delivered or did not match, except a held-back one: resume after
                // what was seen (not merely after the last match), so a rarely matching filter cannot fall out of retention.
                if (subscription.Pending is { } pending)
                {
                    subscription.LastDelivered = Before(pending.Entry.Offset);
                    subscription.Pending = null;
                }
                else
                {
                    subscription.LastDelivered = _lastDispatched > subscription.ResumeAfter ? _lastDispatched : subscription.ResumeAfter;
                }
                if (subscription.PendingTracked)
                {
                    subscription.PendingTracked = false;
                    _pendingInTransaction.Remove(subscription);
                }
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
    public void ResumeDelivery(ClientConnection connection, byte[]? confirmation)
    {
        lock (_gate)
        {
            if (confirmation is not null)
                connection.TryEnqueue(confirmation);
            if (!connection.DeliveryPaused)
                return;
            connection.DeliveryPaused = false;
            foreach (var subscription in connection.Subscriptions.Values.ToArray())
            {
                if (subscription.LastDelivered < log.Horizon)
                {
                    RemoveLocked(connection, subscription.Channel);
                    subscription.Format.ResyncRequired(connection, subscription.Channel,
                        "changes made while the token was expired have left the retention window; subscribe again with a snapshot");
                    continue;
                }
                subscription.ResumeAfter = subscription.LastDelivered;
                CatchUpLocked(subscription, log.FirstIndexAfter(subscription.LastDelivered), visibility: null);
            }
        }
    }

    private static ChangeOffset Before(ChangeOffset offset) =>
        offset.Index > 0 ? new ChangeOffset(offset.CommitLsn, offset.Index - 1) : new ChangeOffset(offset.CommitLsn - 1, uint.MaxValue);

    /// <summary>Completes once a transaction committed at or after <paramref name="lsn"/> has been dispatched.</summary>
    public Task WaitForCommitAsync(ulong lsn)
    {
        lock (_gate)
        {
            if (_lastCommitLsn >= lsn)
                return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((lsn, done));
            return done.Task;
        }
    }

    /// <summary>
    /// The log starts over (the slot was recreated, or a cluster node cannot prove its log has every change of the stream):
    /// every subscriber must resync.
    /// </summary>
    private void RestartLocked(EpochStart start)
    {
        log.Restart(start.Epoch, start.ConfirmedFlushLsn);
        _lastDispatched = default;
        _lastCommitLsn = 0;
        foreach (var channels in _tables.Values.ToArray())
        {
            foreach (var group in channels.Values.ToArray())
            {
                foreach (var subscription in group.Subscriptions.ToArray())
                {
                    RemoveLocked(subscription.Connection, subscription.Channel);
                    subscription.Format.ResyncRequired(subscription.Connection, subscription.Channel,
                        "the change log started over (the replication slot was recreated, or this node lost its place in the cluster's change stream) and changes may have been lost; subscribe again with a snapshot");
                }
            }
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
            if (interestVersion >= 0 && interestVersion != _interestVersion && NeedsVerdicts(batch))
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
        for (var i = 0; i < changes.Count; i++)
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
            var entry = log.Append(offset, change, batch.CommitTimestamp, batch.Xid, transactionEnd: batch.IsLast && i == changes.Count - 1);
            if (_tables.TryGetValue(new TableKey(change.Table.Schema, change.Table.Name), out var channels))
                RouteLocked(entry, channels);
        }

        foreach (var disabled in batch.Disabled)
            EndDisabledLocked(disabled);
        if (batch.IsLast && batch.CommitLsn > _lastCommitLsn)
        {
            log.EndTransaction(batch.CommitLsn, batch.EndLsn);
            _lastCommitLsn = batch.CommitLsn;
            FlushPendingLocked();
            ReleaseWaitersLocked();
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
                if (entry.Offset <= subscription.ResumeAfter || subscription.Connection.DeliveryPaused)
                    continue;
                switch (Match(subscription, entry.Change))
                {
                    case MatchResult.Matches:
                        if (!Allowed(subscription, entry, out var shape))
                            break;
                        Deliver(subscription, shape switch
                        {
                            ChangeShape.WithoutOld => withoutOld ??= new FrameSource(subscription.Format, group.Channel, entry, shape),
                            ChangeShape.AsDelete => asDelete ??= new FrameSource(subscription.Format, group.Channel, entry, shape),
                            _ => asCaptured ??= new FrameSource(subscription.Format, group.Channel, entry),
                        });
                        TrackPending(subscription);
                        break;
                    case MatchResult.Invalidated:
                        (invalidated ??= []).Add(subscription);
                        break;
                    case MatchResult.Exceeded:
                        ReportFilterExceeded(subscription, entry);
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
    private bool CatchUpLocked(Subscription subscription, int from, SnapshotVisibility? visibility)
    {
        // A paused connection catches up when it resumes, from LastDelivered.
        if (subscription.Connection.DeliveryPaused)
            return true;
        var table = subscription.Table;
        for (var i = from; i < log.Count; i++)
        {
            var entry = log[i];
            var change = entry.Change;
            if (change.Table.Name == table.Table && change.Table.Schema == table.Schema
                && entry.Offset > subscription.ResumeAfter
                && (visibility is null || !visibility.Contains(entry.Xid, entry.Offset.CommitLsn)))
            {
                switch (Match(subscription, change))
                {
                    case MatchResult.Matches:
                        if (!Allowed(subscription, entry, out var shape))
                            break;
                        // Private to this subscription: serialized by the connection's writer, outside the lock.
                        if (subscription.Pending is { } previous)
                        {
                            subscription.Connection.TryEnqueue(previous, transactionEnd: false);
                            subscription.LastDelivered = previous.Entry.Offset;
                        }
                        subscription.Pending = new FrameSource(subscription.Format, subscription.Channel, entry, shape);
                        break;
                    case MatchResult.Invalidated:
                        InvalidateLocked(subscription);
                        return false;
                    case MatchResult.Exceeded:
                        ReportFilterExceeded(subscription, entry);
                        break;
                }
            }
            if (entry.TransactionEnd && subscription.Pending is { } pending)
            {
                subscription.Connection.TryEnqueue(pending, transactionEnd: true);
                subscription.LastDelivered = pending.Entry.Offset;
                subscription.Pending = null;
            }
        }
        if (subscription.Pending is not null)
            TrackPending(subscription);
        return true;
    }

    private void TrackPending(Subscription subscription)
    {
        if (subscription.PendingTracked)
            return;
        subscription.PendingTracked = true;
        _pendingInTransaction.Add(subscription);
    }

    private static void Deliver(Subscription subscription, FrameSource source)
    {
        if (subscription.Pending is { } previous)
        {
            subscription.Connection.TryEnqueue(previous.Frame(transactionEnd: false));
            subscription.LastDelivered = previous.Entry.Offset;
        }
        subscription.Pending = source;
    }

    private void FlushPendingLocked()
    {
        foreach (var subscription in _pendingInTransaction)
        {
            if (subscription.Pending is { } pending)
            {
                subscription.Connection.TryEnqueue(pending.Frame(transactionEnd: true));
                subscription.LastDelivered = pending.Entry.Offset;
            }
            subscription.Pending = null;
            subscription.PendingTracked = false;
        }
        _pendingInTransaction.Clear();
    }

    private void ReleaseWaitersLocked()
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Lsn <= _lastCommitLsn)
            {
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// Whether row-level security lets the subscription see the change, and in which shape. This is the last place the
    /// decision is made, and it fails closed: a change of a table with row-level security is delivered only on a verdict
    /// that allows it. A missing verdict (which the dispatch protocol rules out), a failed check, a table that is gone or a
    /// value the WAL did not carry withholds the change and tells the client once per transaction.
    /// </summary>
    private static bool Allowed(Subscription subscription, LogEntry entry, out ChangeShape shape)
    {
        shape = ChangeShape.AsCaptured;
        if (entry.Change.Verdicts is not { } verdicts)
            return true;
        var verdict = subscription.Group is { } group && verdicts.TryGet(group, out var found) ? found : AccessVerdict.Failed;
        switch (verdict)
        {
            case AccessVerdict.Deliver:
                return true;
            case AccessVerdict.DeliverWithoutOld:
                shape = ChangeShape.WithoutOld;
                return true;
            case AccessVerdict.MoveOut:
                shape = ChangeShape.AsDelete;
                return true;
            case AccessVerdict.Hidden:
                return false;
            default:
                if (subscription.ReportedFailureLsn != entry.Offset.CommitLsn)
                {
                    subscription.ReportedFailureLsn = entry.Offset.CommitLsn;
                    subscription.Format.Error(subscription.Connection, subscription.Channel, ErrorCodes.AccessCheckFailed,
                        WithheldMessage(verdict, entry), ended: false);
                }
                return false;
        }
    }

    private static string WithheldMessage(AccessVerdict verdict, LogEntry entry) => verdict switch
    {
        AccessVerdict.TableGone =>
            $"changes from offset {entry.OffsetText} on are withheld: the table no longer existed when they were checked, so its row-level security could not be applied",
        AccessVerdict.ValuesMissing =>
            $"changes from offset {entry.OffsetText} on are withheld: the WAL did not carry values the table's policies read (set REPLICA IDENTITY FULL on the table)",
        _ => $"the row-level security check failed for changes from offset {entry.OffsetText} on; they are withheld (see the server log)",
    };

    private static MatchResult Match(Subscription subscription, RowChange change)
    {
        var kind = change.Kind switch
        {
            ChangeKind.Insert => ChangeEvents.Insert,
            ChangeKind.Update => ChangeEvents.Update,
            ChangeKind.Delete => ChangeEvents.Delete,
            _ => ChangeEvents.Truncate,
        };
        if ((subscription.Events & kind) == 0)
            return MatchResult.Skip;
        if (subscription.FilterText is null || kind == ChangeEvents.Truncate)
            return MatchResult.Matches;
        if (!ReferenceEquals(subscription.BoundTo, change.Table))
        {
            if (!RowFilter.TryParse(subscription.FilterText, change.Table, out var filter, out _))
                return MatchResult.Invalidated;
            subscription.Filter = filter;
            subscription.BoundTo = change.Table;
        }
        return subscription.Filter!.Evaluate(change.FilterRow) switch
        {
            FilterTruth.True => MatchResult.Matches,
            FilterTruth.Exceeded => MatchResult.Exceeded,
            _ => MatchResult.Skip,
        };
    }

    /// <summary>
    /// The subscription's filter ran out of time on a change (a regular expression, see <see cref="RowFilter"/>): the change
    /// is withheld, as fail-closed requires, and the client is told once per transaction which offset it concerns.
    /// </summary>
    private static void ReportFilterExceeded(Subscription subscription, LogEntry entry)
    {
        if (subscription.ReportedFilterLsn == entry.Offset.CommitLsn)
            return;
        subscription.ReportedFilterLsn = entry.Offset.CommitLsn;
        subscription.Format.Error(subscription.Connection, subscription.Channel, ErrorCodes.FilterTooCostly,
            $"the filter took longer than {FilterRegex.MatchTimeout.TotalMilliseconds} ms on the change at offset {entry.OffsetText} (and possibly later ones of its transaction); they are withheld from this subscription", ended: false);
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
        List<Subscription>? renamed = null;
        foreach (var (key, channels) in _tables)
        {
            if (key == current)
                continue;
            foreach (var group in channels.Values)
            {
                foreach (var subscription in group.Subscriptions)
                {
                    if (subscription.RelationId == table.RelationId)
                        (renamed ??= []).Add(subscription);
                }
            }
        }
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
        List<Subscription>? ended = null;
        foreach (var (table, channels) in _tables)
        {
            foreach (var group in channels.Values)
            {
                foreach (var subscription in group.Subscriptions)
                {
                    if (table == key || subscription.RelationId == disabled.RelationId && subscription.RelationId != 0)
                        (ended ??= []).Add(subscription);
                }
            }
        }
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

    private void AddLocked(Subscription subscription)
    {
        RemoveLocked(subscription.Connection, subscription.Channel);
        if (!_tables.TryGetValue(subscription.Table, out var channels))
            _tables[subscription.Table] = channels = new Dictionary<string, ChannelGroup>(StringComparer.Ordinal);
        if (!channels.TryGetValue(subscription.Channel, out var group))
            channels[subscription.Channel] = group = new ChannelGroup(subscription.Channel);
        group.Add(subscription);
        subscription.Connection.Subscriptions[subscription.Channel] = subscription;
    }

    private bool RemoveLocked(ClientConnection connection, string channel)
    {
        if (!connection.Subscriptions.Remove(channel, out var existing))
            return false;
        ReleaseLocked(existing);
        existing.Pending = null;
        if (existing.PendingTracked)
        {
            existing.PendingTracked = false;
            _pendingInTransaction.Remove(existing);
        }
        if (_tables.TryGetValue(existing.Table, out var channels) && channels.TryGetValue(channel, out var group))
        {
            group.Remove(existing);
            if (group.Count == 0)
            {
                channels.Remove(channel);
                if (channels.Count == 0)
                    _tables.Remove(existing.Table);
            }
        }
        return true;
    }

    private enum MatchResult
    {
        Skip,
        Matches,
        Invalidated,
        Exceeded,
    }
}
