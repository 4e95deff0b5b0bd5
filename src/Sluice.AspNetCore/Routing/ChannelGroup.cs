using Sluice.Server.Capture;
using Sluice.Server.Filters;

namespace Sluice.Server.Routing;

/// <summary>
/// The subscribers of one channel. Subscriptions whose filter requires <c>column=eq.value</c> (alone or as one of its
/// AND-ed conditions) are indexed by the value as PostgreSQL prints it, so routing a change costs a lookup per filtered column instead of a check per
/// subscriber; the rest are checked one by one. Guarded by the router's lock.
/// </summary>
internal sealed class ChannelGroup(string channel)
{
    private readonly List<Subscription> _all = [];
    private readonly List<Subscription> _scanned = [];
    private readonly Dictionary<string, Dictionary<string, List<Subscription>>> _byEquality = new(StringComparer.Ordinal);
    private TableSchema? _indexedFor;

    public string Channel { get; } = channel;

    public int Count => _all.Count;

    public IReadOnlyList<Subscription> Subscriptions => _all;

    public void Add(Subscription subscription)
    {
        _all.Add(subscription);
        Index(subscription);
    }

    public void Remove(Subscription subscription)
    {
        _all.Remove(subscription);
        if (IndexKey(subscription) is var (column, value) && RemoveIndexed(column, value, subscription))
            return;
        if (_scanned.Remove(subscription))
            return;
        // Its filter was rebound to a new key since it was indexed; look everywhere.
        foreach (var (indexedColumn, byValue) in _byEquality)
        {
            foreach (var indexedValue in byValue.Keys)
            {
                if (RemoveIndexed(indexedColumn, indexedValue, subscription))
                    return;
            }
        }
    }

    private bool RemoveIndexed(string column, string value, Subscription subscription)
    {
        if (!_byEquality.TryGetValue(column, out var byValue) || !byValue.TryGetValue(value, out var list) || !list.Remove(subscription))
            return false;
        if (list.Count == 0)
            byValue.Remove(value);
        if (byValue.Count == 0)
            _byEquality.Remove(column);
        return true;
    }

    /// <summary>Adds the subscriptions that may match <paramref name="change"/>; the caller still checks each.</summary>
    public void CollectCandidates(RowChange change, List<Subscription> candidates)
    {
        if (!ReferenceEquals(_indexedFor, change.Table))
            Reindex(change.Table);
        if (change.Kind == ChangeKind.Truncate)
        {
            candidates.AddRange(_all);
            return;
        }
        candidates.AddRange(_scanned);
        if (_byEquality.Count == 0)
            return;
        var row = change.FilterRow;
        foreach (var (column, byValue) in _byEquality)
        {
            var ordinal = change.Table.IndexOf(column);
            if (ordinal < 0 || ordinal >= row.Length || row[ordinal] is not { } value || RowValues.IsUnavailable(value))
                continue;
            if (byValue.TryGetValue(value, out var matches))
                candidates.AddRange(matches);
        }
    }

    /// <summary>A new table definition: rebind filters (their type may have changed) and rebuild the index.</summary>
    private void Reindex(TableSchema table)
    {
        _indexedFor = table;
        _scanned.Clear();
        _byEquality.Clear();
        foreach (var subscription in _all)
        {
            if (subscription.FilterText is not null && !ReferenceEquals(subscription.BoundTo, table))
            {
                if (!RowFilter.TryParse(subscription.FilterText, table, out var filter, out _))
                {
                    // Checked one by one, so the router sees it no longer applies and ends it.
                    _scanned.Add(subscription);
                    continue;
                }
                subscription.Filter = filter;
                subscription.BoundTo = table;
            }
            Index(subscription);
        }
    }

    private void Index(Subscription subscription)
    {
        if (IndexKey(subscription) is not var (column, value))
        {
            _scanned.Add(subscription);
            return;
        }
        if (!_byEquality.TryGetValue(column, out var byValue))
            _byEquality[column] = byValue = new Dictionary<string, List<Subscription>>(StringComparer.Ordinal);
        if (!byValue.TryGetValue(value, out var list))
            byValue[value] = list = [];
        list.Add(subscription);
    }

    /// <summary>The column and printed value a subscription's row must have: from its filter's first indexable equality, even among other conditions.</summary>
    private static (string Column, string Value)? IndexKey(Subscription subscription) =>
        subscription.Filter?.IndexCondition is { EqualityText: { } value } condition ? (condition.Column, value) : null;
}
