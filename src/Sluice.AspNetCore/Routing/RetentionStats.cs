namespace Sluice.Server.Routing;

/// <summary>What the retention window holds right now.</summary>
internal sealed record RetentionStats(int Changes, long Bytes, string? OldestOffset, string? NewestOffset);
