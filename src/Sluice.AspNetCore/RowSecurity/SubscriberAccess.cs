using Npgsql;
using NpgsqlTypes;
using Sluice.Server.Auth;
using Sluice.Server.Capture;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Decides, when a client subscribes to a table (or reads its rows over HTTP), whether its role may read the table
/// at all and how its snapshot is read: as its own role with its claims (PostgreSQL then applies privileges and
/// row-level security itself), or — only for a table without row-level security, when the role does not exist in the
/// database, as the native protocol's anonymous connections — as Sluice's own database user. Fails closed: a role that may not
/// SELECT, and a table with row-level security whose role cannot be assumed are refused; the server's own user reads only
/// tables without row-level security. A decision is only ever about the relation that was looked up (its OID): when the
/// name no longer leads to it, the answer is <see cref="AccessDecision.Stale"/>, never a guess about the table that
/// replaced it. <see cref="TableAccessResolver"/> looks the name up again; callers go through it.
/// </summary>
internal sealed class SubscriberAccess(NpgsqlDataSource dataSource)
{
    private const string Query = """
        SELECT r.oid IS NOT NULL,
               r.oid IS NOT NULL AND pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER'),
               r.oid IS NOT NULL AND pg_catalog.has_table_privilege(r.oid, c.oid, 'SELECT'),
               c.relrowsecurity,
               session_user::text
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_roles r ON r.rolname = $2
        WHERE c.oid = $1 AND n.nspname = $3 AND c.relname = $4
        """;

    /// <summary>
    /// Decides for the relation <paramref name="table"/> was looked up as (its <see cref="TableSchema.RelationId"/>), provided
    /// its schema and name still lead to it; <see cref="AccessDecision.Stale"/> otherwise.
    /// </summary>
    public async Task<AccessDecision> DecideAsync(TableSchema table, ConnectionIdentity identity, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Query);
        command.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = table.RelationId, NpgsqlDbType = NpgsqlDbType.Oid });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = identity.Role });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.Schema });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.Name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        // No row: the name no longer leads to the looked-up OID (dropped, renamed, or dropped and recreated since the
        // lookup). Nothing is known about what it leads to now: neither allowed nor refused.
        if (!await reader.ReadAsync(cancellationToken))
            return AccessDecision.Stale;
        var roleExists = reader.GetBoolean(0);
        var canAssume = reader.GetBoolean(1);
        var readable = reader.GetBoolean(2);
        var rowSecurity = reader.GetBoolean(3);
        var serverUser = reader.GetString(4);

        var name = $"{table.Schema}.{table.Name}";
        if (!roleExists)
        {
            return rowSecurity
                ? AccessDecision.Refuse($"{name} has row-level security and the role \"{identity.Role}\" does not exist in the database; create it (and GRANT it to {serverUser})")
                : AccessDecision.AsServer;
        }
        if (!readable)
            return AccessDecision.Refuse($"the role \"{identity.Role}\" may not SELECT from {name}");
        if (canAssume)
            return AccessDecision.AsRole;
        return rowSecurity
            ? AccessDecision.Refuse($"{name} has row-level security and Sluice's database user {serverUser} cannot assume the role \"{identity.Role}\"; run GRANT \"{identity.Role}\" TO {serverUser}")
            : AccessDecision.AsServer;
    }

    /// <summary>
    /// Makes the rest of <paramref name="transaction"/> run as <paramref name="identity"/>'s role with its JWT claims
    /// (<c>request.jwt.claims</c>, <c>request.jwt.claim.sub</c>, <c>request.jwt.claim.role</c>) and with the
    /// <c>search_path</c> a client session of that role starts with (<c>sluice.role_search_path()</c>), so functions its
    /// policies call resolve names as they do for any client of the role. Statements run afterwards in the transaction
    /// must qualify every name (<c>pg_catalog.</c>…): the role's path may hold objects Sluice does not control.
    /// </summary>
    public static async Task AssumeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ConnectionIdentity identity, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT pg_catalog.set_config('sluice.session_search_path', pg_catalog.current_setting('search_path'), true), pg_catalog.set_config('role', $1, true), "
            + "pg_catalog.set_config('request.jwt.claims', $2, true), pg_catalog.set_config('request.jwt.claim.sub', $3, true), pg_catalog.set_config('request.jwt.claim.role', $1, true)",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = identity.Role });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = identity.ClaimsJson });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = identity.Subject ?? "" });
        await command.ExecuteNonQueryAsync(cancellationToken);
        // Once the role is set: its path is computed for it.
        await using var searchPath = new NpgsqlCommand("SELECT pg_catalog.set_config('search_path', sluice.role_search_path(), true)", connection, transaction);
        await searchPath.ExecuteNonQueryAsync(cancellationToken);
    }
}
