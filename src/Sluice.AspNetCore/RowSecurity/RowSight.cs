namespace Sluice.Server.RowSecurity;

/// <summary>Whether an access group may see one row of a change (its new or its old row), as <c>sluice.visible_rows</c> judged it.</summary>
internal enum RowSight : byte
{
    /// <summary>The change has no such row (an INSERT's old row; an UPDATE's old row the WAL did not carry at all).</summary>
    Absent,

    /// <summary>The policies admit the row.</summary>
    Visible,

    /// <summary>The policies do not admit the row.</summary>
    Hidden,

    /// <summary>The row lacks a value the policies read (the WAL did not carry it): not judged, never guessed.</summary>
    Unknown,
}
