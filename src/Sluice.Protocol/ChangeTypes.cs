namespace Sluice.Protocol;

/// <summary>Values of <c>payload.type</c> in change frames, also accepted in a subscription's <c>events</c>.</summary>
public static class ChangeTypes
{
    /// <summary>A row was inserted.</summary>
    public const string Insert = "INSERT";
    /// <summary>A row was updated.</summary>
    public const string Update = "UPDATE";
    /// <summary>A row was deleted.</summary>
    public const string Delete = "DELETE";
    /// <summary>The table was truncated (no record): drop every row of the channel.</summary>
    public const string Truncate = "TRUNCATE";
    /// <summary>In <c>events</c>: all of the above.</summary>
    public const string All = "*";
}
