namespace Sluice.Server.RowSecurity;

/// <summary>
/// A row-level security check could not run because of the database's state, not the policy (connection lost, server
/// shutting down, out of resources), or could not settle because the table changed under it (dropped or replaced, or
/// given row-level security, while access to it was decided or its rows read): the changes are not judged, and delivery
/// waits and retries; a subscribe or read is answered "try again".
/// </summary>
internal sealed class AccessCheckUnavailableException : Exception
{
    public AccessCheckUnavailableException(string sqlState, string message)
        : base($"the row-level security check could not run ({sqlState}): {message}") => SqlState = sqlState;

    /// <summary>The table changed under the check (no database error).</summary>
    public AccessCheckUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>The database's error code; null when the table changed under the check.</summary>
    public string? SqlState { get; }

    /// <summary>
    /// Whether an error raised while checking says the database cannot serve the check right now (connection, shutdown,
    /// resources, serialization), rather than that the policy failed for these claims.
    /// </summary>
    public static bool IsTransient(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("53", StringComparison.Ordinal)
        || sqlState.StartsWith("57P", StringComparison.Ordinal) || sqlState.StartsWith("58", StringComparison.Ordinal)
        || sqlState is "40001" or "40P01" or "55P03";
}
