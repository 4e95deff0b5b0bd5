namespace Sluice.Client;

/// <summary>What a <see cref="LiveTable{TKey,TRow}"/> just applied, as one atomic step.</summary>
/// <typeparam name="TKey">The row key type.</typeparam>
/// <typeparam name="TRow">The row type.</typeparam>
/// <param name="reason">A transaction, a snapshot or a fallback refresh.</param>
/// <param name="changes">The transaction's changes in commit order; empty for snapshots and refreshes.</param>
/// <param name="rows">The table's rows right after this step.</param>
public sealed class LiveTableChangedEventArgs<TKey, TRow>(LiveTableChangeReason reason, IReadOnlyList<Change<TRow>> changes, IReadOnlyDictionary<TKey, TRow> rows)
    : EventArgs where TKey : notnull
{
    /// <summary>A transaction, a snapshot or a fallback refresh.</summary>
    public LiveTableChangeReason Reason { get; } = reason;

    /// <summary>The transaction's changes in commit order; empty for snapshots and refreshes.</summary>
    public IReadOnlyList<Change<TRow>> Changes { get; } = changes;

    /// <summary>The table's rows right after this step (an immutable view).</summary>
    public IReadOnlyDictionary<TKey, TRow> Rows { get; } = rows;
}
