namespace Sluice.Server.Embedded;

/// <summary>No folder with PostgreSQL's server binaries (initdb, pg_ctl, postgres) was found.</summary>
internal sealed class PostgresBinariesNotFoundException : Exception
{
    public PostgresBinariesNotFoundException()
        : base("No PostgreSQL server binaries (initdb, pg_ctl, postgres) were found: install them "
            + "(for example `apt-get install postgresql`) or pass --database postgresql://user:password@host:5432/db to use an existing server.")
    {
    }

    public PostgresBinariesNotFoundException(string message)
        : base(message)
    {
    }

    public PostgresBinariesNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal static PostgresBinariesNotFoundException ForDirectory(string binDirectory) =>
        new($"The folder '{binDirectory}' does not contain the PostgreSQL server binaries (initdb, pg_ctl, postgres): "
            + "install them (for example `apt-get install postgresql`) or pass --database postgresql://user:password@host:5432/db to use an existing server.");
}
