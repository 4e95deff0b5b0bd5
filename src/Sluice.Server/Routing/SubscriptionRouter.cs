using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Connections;
using Sluice.Server.Log;
using Sluice.Server.Protocols.Native;

namespace Sluice.Server.Routing;

/// <summary>
/// Matches each change once against the subscriptions of its table and hands every matching connection
/// the same serialized frame. Subscribing and dispatching share one lock, so an <c>ack</c> is queued
/// exactly between the changes a subscription misses and the ones it receives.
/// </summary>
public sealed class SubscriptionRouter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TableKey, Dictionary<string, List<Subscription>>> _tables = [];
    private ChangeOffset _lastDispatched;

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

    /// <summary>Adds or replaces <paramref name="subscription"/> and queues its ack in the same step.</summary>
    public void Subscribe(Subscription subscription, byte[] ack)
    {
        lock (_gate)
        {
            RemoveLocked(subscription.Connection, subscription.Channel);
            if (!_tables.TryGetValue(subscription.Table, out var channels))
                _tables[subscription.Table] = channels = new Dictionary<string, List<Subscription>>(StringComparer.Ordinal);
            if (!channels.TryGetValue(subscription.Channel, out var subscribers))
                channels[subscription.Channel] = subscribers = [];
            subscribers.Add(subscription);
            subscription.Connection.Subscriptions[subscription.Channel] = subscription;
            subscription.Connection.TryEnqueue(ack);
        }
    }

    /// <summary>Removes a subscription; false when the connection had none on that channel.</summary>
    public bool Unsubscribe(ClientConnection connection, string channel, byte[] confirmation)
    {
        lock (_gate)
        {
            if (!RemoveLocked(connection, channel))
                return false;
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

    /// <summary>Routes one batch; changes at or before the last routed offset (a replay after reconnect) are skipped.</summary>
    public void Dispatch(TransactionBatch batch)
    {
        lock (_gate)
        {
            var changes = batch.Changes;
            for (var i = 0; i < changes.Count; i++)
            {
                var offset = new ChangeOffset(batch.CommitLsn, batch.FirstIndex + (uint)i);
                if (offset.CompareTo(_lastDispatched) <= 0)
                    continue;
                _lastDispatched = offset;
                var change = changes[i];
                if (_tables.TryGetValue(new TableKey(change.Table.Schema, change.Table.Name), out var channels))
                    DispatchLocked(change, offset, batch.CommitTimestamp, channels);
            }
        }
    }

    private void DispatchLocked(RowChange change, ChangeOffset offset, DateTime commitTimestamp, Dictionary<string, List<Subscription>> channels)
    {
        var kind = change.Kind switch
        {
            ChangeKind.Insert => ChangeEvents.Insert,
            ChangeKind.Update => ChangeEvents.Update,
            _ => ChangeEvents.Delete,
        };
        List<Subscription>? invalidated = null;
        foreach (var (channel, subscribers) in channels)
        {
            byte[]? frame = null;
            foreach (var subscription in subscribers)
            {
                if ((subscription.Events & kind) == 0)
                    continue;
                if (subscription.FilterText is not null)
                {
                    if (!ReferenceEquals(subscription.BoundTo, change.Table) && !Rebind(subscription, change.Table))
                    {
                        (invalidated ??= []).Add(subscription);
                        continue;
                    }
                    if (!subscription.Filter!.Matches(change.FilterRow))
                        continue;
                }
                frame ??= NativeFrames.Change(channel, change, offset, commitTimestamp);
                subscription.Connection.TryEnqueue(frame);
            }
        }

        if (invalidated is null)
            return;
        foreach (var subscription in invalidated)
        {
            RemoveLocked(subscription.Connection, subscription.Channel);
            subscription.Connection.TryEnqueue(NativeFrames.Error(
                ErrorCodes.SubscriptionInvalidated,
                $"the table changed and the filter \"{subscription.FilterText}\" no longer applies; subscription ended",
                subscription.Channel));
        }
    }

    private static bool Rebind(Subscription subscription, TableSchema table)
    {
        if (!RowFilter.TryParse(subscription.FilterText!, table, out var filter, out _))
            return false;
        subscription.Filter = filter;
        subscription.BoundTo = table;
        return true;
    }

    private bool RemoveLocked(ClientConnection connection, string channel)
    {
        if (!connection.Subscriptions.Remove(channel, out var existing))
            return false;
        if (_tables.TryGetValue(existing.Table, out var channels) && channels.TryGetValue(channel, out var subscribers))
        {
            subscribers.Remove(existing);
            if (subscribers.Count == 0)
            {
                channels.Remove(channel);
                if (channels.Count == 0)
                    _tables.Remove(existing.Table);
            }
        }
        return true;
    }
}
