using Npgsql;
using Npgsql.Replication;
using Sluice.Server.Database;

namespace Sluice.Server.Capture;

/// <summary>Makes sure Sluice's persistent pgoutput slot exists in the connected database.</summary>
internal static class ReplicationSlot
{
    private const string SlotQuery = """
        SELECT slot_type, plugin, database, database = current_database(), temporary
        FROM pg_catalog.pg_replication_slots WHERE slot_name = $1
        """;

    private const string HolderQuery = """
        SELECT s.active_pid, r.application_name, host(r.client_addr)
        FROM pg_catalog.pg_replication_slots s
        LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid
        WHERE s.slot_name = $1 AND s.active
        """;

    private const string PositionQuery = """
        SELECT confirmed_flush_lsn,
               COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint,
               COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint
        FROM pg_catalog.pg_replication_slots WHERE slot_name = $1
        """;

    /// <summary>The slot's position, or null when it does not exist.</summary>
    public static async Task<SlotPosition?> ReadPositionAsync(NpgsqlDataSource dataSource, string slotName, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(PositionQuery);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        var confirmed = reader.IsDBNull(0) ? 0UL : (ulong)reader.GetFieldValue<NpgsqlTypes.NpgsqlLogSequenceNumber>(0);
        return new SlotPosition(confirmed, reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>
    /// Waits until no other process streams from the slot: a Sluice killed a moment ago may leave its walsender behind
    /// for a short while, a running one keeps it.
    /// </summary>
    /// <exception cref="DatabaseRequirementException">The slot is still in use after <paramref name="patience"/>; the message names the process and <c>--slot</c>.</exception>
    public static async Task WaitUntilFreeAsync(NpgsqlDataSource dataSource, string slotName, TimeSpan patience, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + patience;
        while (true)
        {
            await using var command = dataSource.CreateCommand(HolderQuery);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                return;
            if (time.GetUtcNow() >= deadline)
            {
                var holder = reader.IsDBNull(0) ? "another process" : $"PostgreSQL process {reader.GetInt32(0)}";
                var client = (reader.IsDBNull(1) ? "" : reader.GetString(1)) is { Length: > 0 } application ? $" for {application}" : "";
                var address = reader.IsDBNull(2) ? "" : $" at {reader.GetString(2)}";
                throw new DatabaseRequirementException(
                    $"Replication slot \"{slotName}\" is in use by {holder}{client}{address} (another Sluice server or replication client): "
                    + "stop it, or give this server its own slot with --slot <name>.");
            }
            await reader.DisposeAsync();
            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
        }
    }

    /// <summary>Creates the slot when missing; returns true when it was created.</summary>
    public static async Task<bool> EnsureAsync(NpgsqlDataSource dataSource, string connectionString, string slotName, CancellationToken cancellationToken)
    {
        await using (var command = dataSource.CreateCommand(SlotQuery))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var kind = reader.GetString(0);
                var plugin = reader.IsDBNull(1) ? null : reader.GetString(1);
                var database = reader.IsDBNull(2) ? null : reader.GetString(2);
                var problem =
                    kind != "logical" ? $"is a {kind} slot"
                    : plugin != "pgoutput" ? $"decodes with {plugin}, not pgoutput"
                    : !reader.GetBoolean(3) ? $"belongs to database {database}"
                    : reader.GetBoolean(4) ? "is temporary"
                    : null;
                if (problem is not null)
                    throw new DatabaseRequirementException(
                        $"Replication slot \"{slotName}\" exists but {problem}; Sluice needs a persistent pgoutput slot of this database: "
                        + $"give Sluice another slot name with --slot <name>, or drop this one (SELECT pg_drop_replication_slot('{slotName}')) if nothing uses it.");
                return false;
            }
        }

        await using var replication = new LogicalReplicationConnection(connectionString);
        await replication.Open(cancellationToken);
        await replication.CreatePgOutputReplicationSlot(
            slotName, temporarySlot: false, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.NoExport, cancellationToken: cancellationToken);
        return true;
    }
}
