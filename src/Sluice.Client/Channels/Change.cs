namespace Sluice.Client;

/// <summary>One database change on a table channel.</summary>
/// <typeparam name="T">The row type (<see cref="System.Text.Json.JsonElement"/> for untyped access).</typeparam>
/// <param name="Kind">INSERT, UPDATE, DELETE or TRUNCATE.</param>
/// <param name="Schema">The table's schema.</param>
/// <param name="Table">The table's name.</param>
/// <param name="Record">The new row (INSERT, UPDATE); default otherwise.</param>
/// <param name="OldRecord">The old row (UPDATE, DELETE); default otherwise.</param>
/// <param name="Offset">The change's offset: opaque, increasing in commit order, usable to resume.</param>
/// <param name="CommitTimestamp">When the transaction committed.</param>
/// <param name="IsTransactionEnd">Whether this is the last change of its transaction on this channel.</param>
public sealed record Change<T>(
    ChangeKind Kind,
    string Schema,
    string Table,
    T? Record,
    T? OldRecord,
    string Offset,
    DateTimeOffset CommitTimestamp,
    bool IsTransactionEnd)
{
    /// <summary>
    /// The row was over the server's maximum record size and came reduced: <see cref="Record"/> and <see cref="OldRecord"/>
    /// hold only the key columns and small values. Fetch the full row with
    /// <see cref="SluiceClient.GetRowsAsync"/>(<see cref="Schema"/>, <see cref="Table"/>, <see cref="KeyFilter"/>).
    /// </summary>
    public bool IsTooLarge { get; init; }

    /// <summary>With <see cref="IsTooLarge"/>: the columns left out of the record or the old record.</summary>
    public IReadOnlyList<string> OmittedColumns { get; init; } = [];

    /// <summary>With <see cref="IsTooLarge"/>: a filter that finds the row by its key (<c>id=eq.7</c>); null when the table has no key.</summary>
    public string? KeyFilter { get; init; }
}
