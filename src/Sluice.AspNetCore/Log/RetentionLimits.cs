namespace Sluice.Server.Log;

/// <summary>How much history the change log keeps for resuming clients.</summary>
internal sealed record RetentionLimits(int MaxChanges, long MaxBytes, TimeSpan MaxAge);
