using Npgsql;
using Npgsql.Replication;

namespace Sluice.Server.Capture;

/// <summary>Makes sure Sluice's persistent pgoutput slot exists in the connected database.</summary>
public static class ReplicationSlot
{
    private const string SlotQuery = """
        SELECT plugin, database = current_database(), temporary
        FROM pg_catalog.pg_replication_slots WHERE slot_name = $1
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

    /// <summary>Creates the slot when missing; returns true when it was created.</summary>
    public static async Task<bool> EnsureAsync(NpgsqlDataSource dataSource, string connectionString, string slotName, CancellationToken cancellationToken)
    {
        await using (var command = dataSource.CreateCommand(SlotQuery))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var plugin = reader.IsDBNull(0) ? null : reader.GetString(0);
                if (plugin != "pgoutput" || !reader.GetBoolean(1) || reader.GetBoolean(2))
                    throw new InvalidOperationException(
                        $"Replication slot \"{slotName}\" exists but is not a persistent pgoutput slot of this database; choose another slot name or drop it.");
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
