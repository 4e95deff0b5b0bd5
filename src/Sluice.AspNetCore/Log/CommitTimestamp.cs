using System.Globalization;

namespace Sluice.Server.Log;

/// <summary>The wire form of a commit time: ISO-8601 in UTC with PostgreSQL's microsecond precision.</summary>
internal static class CommitTimestamp
{
    public static string Format(DateTime timestamp) =>
        DateTime.SpecifyKind(timestamp, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
