namespace Sluice.Server.Hosting;

/// <summary>The database is not configured, or could not be reached or prepared (SQL API, publication, slot): the message says what to fix.</summary>
public sealed class DatabaseSetupException : Exception
{
    /// <summary>A start-up failure, described in one line that says what to fix.</summary>
    public DatabaseSetupException(string message)
        : base(message)
    {
    }

    /// <summary>A start-up failure, described in one line that says what to fix, and the exception that caused it.</summary>
    public DatabaseSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
