namespace Sluice.Server.RowSecurity;

/// <summary>What one access group may see of one change of a table with row-level security.</summary>
public enum AccessVerdict : byte
{
    /// <summary>Nothing: the rows involved are not visible to the group (or it may not read the table).</summary>
    Hidden,

    /// <summary>The change as captured.</summary>
    Deliver,

    /// <summary>An UPDATE whose new row is visible but whose old row was not: delivered without <c>old_record</c>.</summary>
    DeliverWithoutOld,

    /// <summary>An UPDATE that took a visible row out of the group's sight: delivered as a DELETE of the old row.</summary>
    MoveOut,

    /// <summary>The check failed (a policy raised an error, the role cannot be assumed): nothing delivered, the error reported.</summary>
    Failed,
}
