namespace Sluice.Server.Filters;

/// <summary>SQL three-valued logic: a condition on a NULL column is usually neither true nor false.</summary>
internal enum FilterTruth : byte
{
    False,
    True,
    Unknown,

    /// <summary>
    /// Not evaluated: the filter used up its time budget for this change (see <see cref="FilterRegex"/>). Like
    /// <see cref="Unknown"/> the change is not delivered, and the router tells the subscriber it was withheld.
    /// </summary>
    Exceeded,
}
