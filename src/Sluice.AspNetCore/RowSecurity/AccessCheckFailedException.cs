namespace Sluice.Server.RowSecurity;

/// <summary>
/// Reading a table as a subscriber's role raised an error that is the policy's (or the role's), not the database's
/// availability: the read is refused with <see cref="Protocol.ErrorCodes.AccessCheckFailed"/> — the same code live changes
/// get for the same cause — never with <c>database_unavailable</c>, which would tell the client to try again.
/// <see cref="Exception.Message"/> is for the client (no database text); <see cref="Reason"/> is for the server log.
/// </summary>
internal sealed class AccessCheckFailedException(string message, string sqlState, string reason, Exception innerException)
    : Exception(message, innerException)
{
    public string SqlState { get; } = sqlState;

    /// <summary>The database's message, for the server log only.</summary>
    public string Reason { get; } = reason;
}
