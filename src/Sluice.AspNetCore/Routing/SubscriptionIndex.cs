using System.Diagnostics.CodeAnalysis;

namespace Sluice.Server.Routing;

/// <summary>
/// The live subscriptions, found two ways: by table and channel (each channel a <see cref="ChannelGroup"/>), to route a
/// change; and by connection and channel (<see cref="SubscriberState.Subscriptions"/>), so a connection has at most one
/// subscription per channel. Both views change together, here and nowhere else.
/// </summary>
/// <remarks>
/// Owned by <see cref="SubscriptionRouter"/> and only called under its lock, like the groups it holds; it has no lock
/// of its own. It only files subscriptions: what a subscription holds elsewhere (access interest, a held-back change)
/// the router releases when it removes one.
/// </remarks>
internal sealed class SubscriptionIndex
{
    private readonly Dictionary<TableKey, Dictionary<string, ChannelGroup>> _tables = [];

    /// <summary>Distinct channels with at least one subscriber.</summary>
    public int ChannelCount
    {
        get
        {
            var count = 0;
            foreach (var channels in _tables.Values)
                count += channels.Count;
            return count;
        }
    }

    /// <summary>The channels of <paramref name="table"/> that have subscribers; false when it has none.</summary>
    public bool TryGetChannels(TableKey table, [NotNullWhen(true)] out Dictionary<string, ChannelGroup>? channels) =>
        _tables.TryGetValue(table, out channels);

    /// <summary>
    /// Files <paramref name="subscription"/> under its table and channel and as its connection's subscription of that
    /// channel. The connection must have none there (<see cref="TryRemove"/> it first).
    /// </summary>
    public void Add(Subscription subscription)
    {
        if (!_tables.TryGetValue(subscription.Table, out var channels))
            _tables[subscription.Table] = channels = new Dictionary<string, ChannelGroup>(StringComparer.Ordinal);
        if (!channels.TryGetValue(subscription.Channel, out var group))
            channels[subscription.Channel] = group = new ChannelGroup(subscription.Channel);
        group.Add(subscription);
        subscription.Connection.RouterState.Subscriptions[subscription.Channel] = subscription;
    }

    /// <summary>Takes the connection's subscription of <paramref name="channel"/> out of both views; false when it had none.</summary>
    public bool TryRemove(ISubscriberSink connection, string channel, [NotNullWhen(true)] out Subscription? removed)
    {
        if (!connection.RouterState.Subscriptions.Remove(channel, out removed))
            return false;
        if (_tables.TryGetValue(removed.Table, out var channels) && channels.TryGetValue(channel, out var group))
        {
            group.Remove(removed);
            if (group.Count == 0)
            {
                channels.Remove(channel);
                if (channels.Count == 0)
                    _tables.Remove(removed.Table);
            }
        }
        return true;
    }

    /// <summary>Every subscription, table by table and channel by channel, in a list of its own; null when there is none.</summary>
    public List<Subscription>? All() => Where(static (_, _) => true);

    /// <summary>
    /// The subscriptions that <paramref name="selects"/> (given each one's table key), table by table and channel by channel;
    /// a list of its own, so the caller may remove them while going through it. Null when none is selected.
    /// </summary>
    public List<Subscription>? Where(Func<TableKey, Subscription, bool> selects)
    {
        List<Subscription>? selected = null;
        foreach (var (table, channels) in _tables)
        {
            foreach (var group in channels.Values)
            {
                foreach (var subscription in group.Subscriptions)
                {
                    if (selects(table, subscription))
                        (selected ??= []).Add(subscription);
                }
            }
        }
        return selected;
    }
}
