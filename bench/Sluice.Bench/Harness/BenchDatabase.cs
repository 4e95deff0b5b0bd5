using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Server.Embedded;

namespace Sluice.Bench.Harness;

/// <summary>A throwaway, non-durable PostgreSQL cluster started with the server's embedded launcher.</summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgres _postgres;

    private BenchDatabase(EmbeddedPostgres postgres)
    {
        _postgres = postgres;
        // The cluster runs with synchronous_commit=off (Durable = false), and walsenders send only flushed WAL:
        // without this, every change written by the harness would wait for the WAL writer (wal_writer_delay,
        // 200 ms) before logical decoding sees it. fsync stays off, so a flush at commit is cheap.
        DataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgres.ConnectionString)
        {
            MaxPoolSize = 64,
            Options = "-c synchronous_commit=on",
        }.ConnectionString);
    }

    public string ConnectionString => _postgres.ConnectionString;

    public NpgsqlDataSource DataSource { get; }

    public static async Task<BenchDatabase> StartAsync(ILogger logger)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-bench-" + Guid.NewGuid().ToString("N")[..8], "pgdata");
        var postgres = await EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions { DataDirectory = directory, Durable = false, DeleteDataOnDispose = true }, logger);
        return new BenchDatabase(postgres);
    }

    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        command.CommandTimeout = 0;
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Drops a replication slot once its consumer is gone (it may take a moment to let go).</summary>
    public async Task DropSlotAsync(string slot)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                await ExecuteAsync(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1", slot);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse)
            {
                await Task.Delay(200);
            }
        }
    }

    public async Task DropInactiveSlotsAsync()
    {
        await Task.Delay(500);
        await ExecuteAsync("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active");
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}
