namespace Sluice.Server.Hosting;

/// <summary>The database is not configured, or could not be reached or prepared (SQL API, publication, slot): the message says what to fix.</summary>
public sealed class DatabaseSetupException : Exception
{
    public DatabaseSetupException(string message)
        : base(message)
    {
    }

    public DatabaseSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
