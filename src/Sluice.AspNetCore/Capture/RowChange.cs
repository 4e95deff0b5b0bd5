namespace Sluice.Server.Capture;

/// <summary>
/// One row change, immutable once captured. Values are PostgreSQL's text representation per column
/// position of <see cref="Table"/>; a null entry is SQL NULL and <see cref="RowValues.Unavailable"/>
/// marks a value the WAL did not carry (unchanged TOAST without a full old row, or a non-key column of
/// a key-only old row).
/// </summary>
internal sealed class RowChange
{
    public RowChange(ChangeKind kind, TableSchema table, string?[]? newValues, string?[]? oldValues)
    {
        Kind = kind;
        Table = table;
        NewValues = newValues;
        OldValues = oldValues;
    }

    public ChangeKind Kind { get; }
    public TableSchema Table { get; }

    /// <summary>The row after an INSERT or UPDATE; null for DELETE.</summary>
    public string?[]? NewValues { get; }

    /// <summary>The row before an UPDATE or DELETE when the WAL carried it; null for INSERT.</summary>
    public string?[]? OldValues { get; }

    private RowSecurity.AccessVerdicts? _verdicts;

    /// <summary>
    /// Per access group, what it may see of this change; null when the table had no row-level security when the change
    /// was dispatched (then every subscriber sees it). Set before the change is routed, extended for groups that join later.
    /// </summary>
    public RowSecurity.AccessVerdicts? Verdicts => Volatile.Read(ref _verdicts);

    /// <summary>Marks the change as subject to row-level security (verdicts to be added per group).</summary>
    internal void RequireVerdicts() => Interlocked.CompareExchange(ref _verdicts, RowSecurity.AccessVerdicts.Empty, null);

    /// <summary>
    /// Drops the verdicts of a change whose table turned out to have no row-level security when read for its dispatch
    /// round (they were taken speculatively, see <see cref="RowSecurity.RowAccess.PrepareAsync"/>). Only before dispatch:
    /// until then no subscriber reads them.
    /// </summary>
    internal void DropVerdicts() => Volatile.Write(ref _verdicts, null);

    /// <summary>Adds (or replaces) each group's verdict, published at once; safe against concurrent additions.</summary>
    internal void AddVerdicts(IReadOnlyList<(RowSecurity.AccessGroup Group, RowSecurity.AccessVerdict Verdict)> verdicts)
    {
        while (true)
        {
            var current = Volatile.Read(ref _verdicts) ?? RowSecurity.AccessVerdicts.Empty;
            if (ReferenceEquals(Interlocked.CompareExchange(ref _verdicts, current.WithAll(verdicts), current), current))
                return;
        }
    }

    /// <summary>The row a filter is evaluated against: the new row, or the old one for DELETE; empty for TRUNCATE.</summary>
    public string?[] FilterRow => NewValues ?? OldValues ?? [];
}
