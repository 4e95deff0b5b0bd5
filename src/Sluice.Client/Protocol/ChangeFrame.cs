using System.Text.Json;

namespace Sluice.Client.Protocol;

/// <summary>A database change as received, rows still JSON.</summary>
internal sealed record ChangeFrame(
    ChangeKind Kind,
    string Schema,
    string Table,
    JsonElement? Record,
    JsonElement? OldRecord,
    string Offset,
    DateTimeOffset CommitTimestamp,
    bool TransactionEnd)
{
    /// <summary>The record was over the server's maximum record size: only key columns and small values were sent.</summary>
    public bool TooLarge { get; init; }

    /// <summary>The columns that identify the row (with <see cref="TooLarge"/>); empty when the table has no key.</summary>
    public IReadOnlyList<string> KeyColumns { get; init; } = [];

    /// <summary>The columns left out of record or old_record (with <see cref="TooLarge"/>).</summary>
    public IReadOnlyList<string> OmittedColumns { get; init; } = [];

    /// <summary>
    /// A filter that finds the row by its key (<c>id=eq.7</c>, several conditions for a composite key), built from the
    /// record (or the old record of a DELETE); null when the change is not reduced or its key cannot be written as a filter.
    /// </summary>
    public string? KeyFilter => TooLarge ? KeyFilters.For(KeyColumns, Record ?? OldRecord) : null;
}
