using Npgsql;

namespace Sluice.Server.Cluster;

/// <summary>
/// Serializes the database preparation of cluster nodes that start at the same time (slot creation and the slot's log
/// epoch): without it two nodes could both find no slot, or one could record a new epoch while another reads none and
/// records its own, leaving nodes with different offset epochs. A session-level advisory lock on a dedicated connection,
/// released when disposed.
/// </summary>
internal sealed class StartupLock : IAsyncDisposable
{
    private const int LockClass = 0x536C6373; // "Slcs"

    private readonly NpgsqlConnection _connection;

    private StartupLock(NpgsqlConnection connection) => _connection = connection;

    public static async Task<StartupLock> AcquireAsync(string connectionString, string slotName, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = "sluice start-up" }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_catalog.pg_advisory_lock($1, $2)", connection);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = LockClass });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = AdvisoryLockLease.LockKey(slotName) });
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new StartupLock(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
