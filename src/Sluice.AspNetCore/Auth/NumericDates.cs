using System.Text.Json;

namespace Sluice.Server.Auth;

/// <summary>
/// The time claims of a token (RFC 7519 §2: a NumericDate is a JSON number of seconds). The token library also accepts
/// them as strings; Sluice does not. And an expiry so far away that adding a clock skew would overflow is brought back to
/// <see cref="LatestExpiry"/>, so every deadline computed from it is representable.
/// </summary>
internal static class NumericDates
{
    /// <summary>The latest expiry a connection keeps: later ones (up to the year 9999 and beyond) mean "does not expire soon".</summary>
    public static readonly DateTimeOffset LatestExpiry = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] TimeClaims = ["exp", "nbf", "iat"];

    /// <summary>The first of <c>exp</c>, <c>nbf</c>, <c>iat</c> present in the payload that is not a JSON number; null when all are fine.</summary>
    public static string? FirstInvalid(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonDocument.Parse(payload);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            return null;
        foreach (var claim in TimeClaims)
        {
            if (document.RootElement.TryGetProperty(claim, out var value) && value.ValueKind != JsonValueKind.Number)
                return claim;
        }
        return null;
    }

    /// <summary>The token's expiry as an offset, no later than <see cref="LatestExpiry"/>.</summary>
    public static DateTimeOffset ClampExpiry(DateTime validTo)
    {
        var utc = DateTime.SpecifyKind(validTo, DateTimeKind.Utc);
        return utc >= LatestExpiry.UtcDateTime ? LatestExpiry : new DateTimeOffset(utc, TimeSpan.Zero);
    }
}
