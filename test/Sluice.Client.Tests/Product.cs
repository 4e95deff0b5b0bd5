namespace Sluice.Client.Tests;

public sealed record Product(long Id, string Name, decimal? Price);
