using Npgsql;
using Npgsql.Replication;

namespace Sluice.Server.Database;

/// <summary>
/// What Sluice needs of the server before it creates anything: <c>wal_level = logical</c>, and a role that may open a
/// replication connection (the REPLICATION attribute, or what a managed service grants instead — so this is tried,
/// not guessed from the catalog). Each failure is one line naming the setting and the fix.
/// </summary>
internal static class DatabaseRequirements
{
    private const string RequirementsLink = "docs/operations.md#postgresql-requirements";

    /// <exception cref="DatabaseRequirementException">A requirement is not met.</exception>
    /// <exception cref="NpgsqlException">The database could not be reached at all.</exception>
    public static async Task CheckAsync(NpgsqlDataSource dataSource, string connectionString, CancellationToken cancellationToken)
    {
        string walLevel, role;
        await using (var command = dataSource.CreateCommand("SELECT current_setting('wal_level'), quote_ident(current_user)"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            walLevel = reader.GetString(0);
            role = reader.GetString(1);
        }
        if (walLevel != "logical")
        {
            throw new DatabaseRequirementException(
                $"PostgreSQL runs with wal_level = {walLevel}, but Sluice reads changes by logical decoding: run "
                + $"ALTER SYSTEM SET wal_level = logical; as a superuser and restart PostgreSQL (see {RequirementsLink}).");
        }

        try
        {
            await using var replication = new LogicalReplicationConnection(connectionString);
            await replication.Open(cancellationToken);
            await replication.IdentifySystem(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new DatabaseRequirementException(
                $"The database role {role} may not open a replication connection ({ex.MessageText}): run ALTER ROLE {role} REPLICATION; "
                + $"as a superuser, or connect with --database as a role that has REPLICATION (see {RequirementsLink}).");
        }
    }
}
