namespace Sluice.Server.Capture;

/// <summary>Helpers for the per-column value arrays of <see cref="RowChange"/>.</summary>
internal static class RowValues
{
    /// <summary>
    /// Marks a value the WAL did not carry. Compared by reference: no value read from the WAL is this instance.
    /// </summary>
    public static readonly string Unavailable = new('\0', 1);

    public static bool IsUnavailable(string? value) => ReferenceEquals(value, Unavailable);
}
