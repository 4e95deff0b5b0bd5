namespace Sluice.Server.Routing;

/// <summary>SQL three-valued logic: a condition on a NULL column is usually neither true nor false.</summary>
internal enum FilterTruth : byte
{
    False,
    True,
    Unknown,
}
