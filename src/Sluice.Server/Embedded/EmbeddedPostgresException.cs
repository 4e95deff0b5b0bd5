namespace Sluice.Server.Embedded;

/// <summary>The embedded PostgreSQL cluster could not be prepared, started or verified.</summary>
internal sealed class EmbeddedPostgresException : Exception
{
    public EmbeddedPostgresException()
    {
    }

    public EmbeddedPostgresException(string message)
        : base(message)
    {
    }

    public EmbeddedPostgresException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
