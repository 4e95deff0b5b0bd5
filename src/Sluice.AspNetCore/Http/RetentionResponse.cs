namespace Sluice.Server.Http;

/// <summary>The retention window in stats: what is held now and the configured limits.</summary>
internal sealed record RetentionResponse(
    int Changes,
    long Bytes,
    string? OldestOffset,
    string? NewestOffset,
    int MaxChanges,
    long MaxBytes,
    double MaxAgeSeconds);
