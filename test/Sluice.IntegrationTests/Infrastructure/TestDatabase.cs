using Npgsql;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>A database created for one test, with its own slot and publication names.</summary>
public sealed class TestDatabase(string adminConnectionString, string connectionString, string name) : IAsyncDisposable
{
    public string ConnectionString { get; } = connectionString;
    public string Name { get; } = name;
    public string SlotName { get; } = name + "_slot";
    public string PublicationName { get; } = name + "_pub";

    public async Task ExecuteAsync(string sql, params object?[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T?> ScalarAsync<T>(string sql, params object?[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        // Idle pooled connections to this database go first (DROP … WITH (FORCE) would end them under the pool anyway).
        await using (var mine = new NpgsqlConnection(ConnectionString))
            NpgsqlConnection.ClearPool(mine);
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        // A walsender may outlive its server for a moment, and a database with a slot cannot be dropped.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await using var dropSlot = new NpgsqlCommand("""
                SELECT CASE WHEN active THEN pg_terminate_backend(active_pid) ELSE pg_drop_replication_slot(slot_name) IS NULL END
                FROM pg_replication_slots WHERE database = $1 LIMIT 1
                """, admin);
            dropSlot.Parameters.Add(new NpgsqlParameter { Value = Name });
            if (await dropSlot.ExecuteScalarAsync() is null)
                break;
            await Task.Delay(100);
        }
        await using var dropDatabase = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await dropDatabase.ExecuteNonQueryAsync();
    }
}
