using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Sluice.Server.Embedded;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>One throwaway PostgreSQL cluster per test collection (see <see cref="PostgresCollection"/> and <see cref="IsolatedProcessesCollection"/>), started with the server's own embedded launcher.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private EmbeddedPostgres? _postgres;

    public string AdminConnectionString => _postgres?.ConnectionString ?? throw new InvalidOperationException("PostgreSQL not started");

    public async Task InitializeAsync()
    {
        _postgres = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(Path.GetTempPath(), "sluice-it-" + Guid.NewGuid().ToString("N")[..12]),
            Durable = false,
            DeleteDataOnDispose = true,
        }, NullLogger.Instance);
    }

    /// <summary>A fresh database; tests own it, its slot and its publication, and drop them at the end.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await command.ExecuteNonQueryAsync();
        }
        // Pooled, as in production: an unpooled server opens a connection (start-up, authentication) for every query,
        // which made each test's server start take twice as long. TestDatabase clears the pool before dropping it.
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name };
        return new TestDatabase(AdminConnectionString, builder.ConnectionString, name);
    }

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
            await _postgres.DisposeAsync();
    }
}
