namespace Sluice.Server.RowSecurity;

/// <summary>
/// A row-level security check could not run because of the database's state, not the policy (connection lost, server
/// shutting down, out of resources): the changes are not judged, and delivery waits and retries.
/// </summary>
public sealed class AccessCheckUnavailableException(string sqlState, string message)
    : Exception($"the row-level security check could not run ({sqlState}): {message}")
{
    public string SqlState { get; } = sqlState;

    /// <summary>
    /// Whether an error raised while checking says the database cannot serve the check right now (connection, shutdown,
    /// resources, serialization), rather than that the policy failed for these claims.
    /// </summary>
    public static bool IsTransient(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("53", StringComparison.Ordinal)
        || sqlState.StartsWith("57P", StringComparison.Ordinal) || sqlState.StartsWith("58", StringComparison.Ordinal)
        || sqlState is "40001" or "40P01" or "55P03";
}
