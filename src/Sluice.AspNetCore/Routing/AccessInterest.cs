using Sluice.Server.RowSecurity;

namespace Sluice.Server.Routing;

/// <summary>
/// Which access groups (connections with the same claims, see <see cref="AccessGroup"/>) are interested in which table:
/// every change of a table with row-level security must carry a verdict for each of them before it is dispatched. Each
/// subscription counts once in the interest of its group in its table, from <see cref="Acquire"/> to <see cref="Release"/>;
/// a group lives while a subscription references it. <see cref="Version"/> moves whenever a group becomes interested in a
/// table, so a batch judged for an older interest can be recognized and judged again.
/// </summary>
/// <remarks>
/// Owned by <see cref="SubscriptionRouter"/> and only called under its lock, which is what makes the version check and the
/// dispatch one step; it has no lock of its own. It also sets the subscription's <see cref="Subscription.Group"/> and
/// <see cref="Subscription.HoldsInterest"/>, which belong to it.
/// </remarks>
internal sealed class AccessInterest
{
    private readonly Dictionary<string, AccessGroup> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<TableKey, Dictionary<AccessGroup, int>> _byTable = [];

    /// <summary>Moves each time a group becomes interested in a table (the only change that can leave verdicts missing).</summary>
    public long Version { get; private set; }

    /// <summary>
    /// Counts the subscription in the interest of its connection's access group (created for the connection's claims if
    /// needed) in its table, once, and sets <see cref="Subscription.Group"/>.
    /// </summary>
    public void Acquire(Subscription subscription)
    {
        // A database-broadcast subscription reads as the server: no group is judged for it, and it has none (so a verdict,
        // were one ever asked for it, would be missing: withheld).
        if (subscription.HoldsInterest || subscription.ReadsDatabaseBroadcastsAsServer)
            return;
        var identity = subscription.Connection.Identity;
        if (!_groups.TryGetValue(identity.ClaimSetKey, out var group))
            _groups[identity.ClaimSetKey] = group = new AccessGroup(identity);
        group.References++;
        if (!_byTable.TryGetValue(subscription.Table, out var byGroup))
            _byTable[subscription.Table] = byGroup = new Dictionary<AccessGroup, int>(ReferenceEqualityComparer.Instance);
        var count = byGroup.GetValueOrDefault(group);
        byGroup[group] = count + 1;
        // Only a group new to the table can lack verdicts of changes on their way to dispatch.
        if (count == 0)
            Version++;
        subscription.Group = group;
        subscription.HoldsInterest = true;
    }

    /// <summary>Takes back what <see cref="Acquire"/> counted for the subscription, if it holds anything.</summary>
    public void Release(Subscription subscription)
    {
        if (!subscription.HoldsInterest)
            return;
        subscription.HoldsInterest = false;
        var group = subscription.Group!;
        if (_byTable.TryGetValue(subscription.Table, out var byGroup) && byGroup.TryGetValue(group, out var count))
        {
            if (count <= 1)
            {
                byGroup.Remove(group);
                if (byGroup.Count == 0)
                    _byTable.Remove(subscription.Table);
            }
            else
            {
                byGroup[group] = count - 1;
            }
        }
        if (--group.References <= 0)
            _groups.Remove(group.Key);
    }

    /// <summary>The groups interested in each table, copied.</summary>
    public Dictionary<TableKey, AccessGroup[]> Copy()
    {
        var groups = new Dictionary<TableKey, AccessGroup[]>(_byTable.Count);
        foreach (var (table, byGroup) in _byTable)
            groups[table] = [.. byGroup.Keys];
        return groups;
    }
}
