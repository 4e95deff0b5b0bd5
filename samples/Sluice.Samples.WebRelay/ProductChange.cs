namespace Sluice.Samples.WebRelay;

/// <summary>What the app sends its own users for each change: a trimmed-down view, not the raw database row.</summary>
public sealed record ProductChange(string Kind, long Id, string? Name, decimal? Price);
