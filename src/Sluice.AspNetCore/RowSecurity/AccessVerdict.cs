namespace Sluice.Server.RowSecurity;

/// <summary>
/// What one access group may see of one change of a table with row-level security. Only the first four deliver anything;
/// the others withhold the change and say why (<see cref="Protocol.ErrorCodes.AccessCheckFailed"/>, once per transaction):
/// whatever Sluice cannot establish is not delivered.
/// </summary>
internal enum AccessVerdict : byte
{
    /// <summary>Nothing: the rows involved are not visible to the group (or it may not read the table).</summary>
    Hidden,

    /// <summary>The change as captured.</summary>
    Deliver,

    /// <summary>An UPDATE whose new row is visible but whose old row was not (or is unknown): delivered without <c>old_record</c>.</summary>
    DeliverWithoutOld,

    /// <summary>An UPDATE that took a visible row out of the group's sight: delivered as a DELETE of the old row.</summary>
    MoveOut,

    /// <summary>The check failed (a policy raised an error, the role cannot be assumed): nothing delivered, the error reported.</summary>
    Failed,

    /// <summary>The table no longer existed when the change was judged: its policies cannot be applied, nothing delivered.</summary>
    TableGone,

    /// <summary>
    /// The WAL did not carry a value the policies read (an unchanged TOASTed value, the non-key columns of a key-only old
    /// row, a generated column): the verdict cannot be known, nothing delivered.
    /// </summary>
    ValuesMissing,
}
