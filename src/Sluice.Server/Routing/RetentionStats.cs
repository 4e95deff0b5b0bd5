namespace Sluice.Server.Routing;

/// <summary>What the retention window holds right now.</summary>
public sealed record RetentionStats(int Changes, long Bytes, string? OldestOffset, string? NewestOffset);
