namespace Sluice.Server.Capture;

/// <summary>The kind of a row change.</summary>
internal enum ChangeKind : byte
{
    Insert,
    Update,
    Delete,
    /// <summary>The table was truncated: no row values; every subscriber of the table is concerned.</summary>
    Truncate,
}
