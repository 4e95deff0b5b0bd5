namespace Sluice.Samples.WebRelay;

/// <summary>A row of the demo table <c>public.products</c>.</summary>
public sealed record Product(long Id, string Name, decimal? Price, string[] Tags, DateTimeOffset UpdatedAt);
