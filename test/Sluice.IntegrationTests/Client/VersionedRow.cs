namespace Sluice.IntegrationTests.Client;

/// <summary>A row of a <see cref="Gapless.VersionedTable"/> as the SDK deserializes it.</summary>
public sealed record VersionedRow(long Id, int Version, string? Payload);
