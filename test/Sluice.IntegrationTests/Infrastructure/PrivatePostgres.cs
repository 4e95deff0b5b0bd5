using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Sluice.Server.Embedded;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of one test's own, for what the shared <see cref="PostgresFixture"/> must not suffer: restarts.
/// Started with the server's embedded launcher; <see cref="RestartAsync"/> runs <c>pg_ctl restart</c>, which keeps the port.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly EmbeddedPostgres _postgres;

    private PrivatePostgres(EmbeddedPostgres postgres) => _postgres = postgres;

    /// <summary>The superuser, unpooled: a pooled connection would not survive a restart.</summary>
    public string AdminConnectionString => new NpgsqlConnectionStringBuilder(_postgres.ConnectionString) { Pooling = false }.ConnectionString;

    public static async Task<PrivatePostgres> StartAsync() =>
        new(await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(Path.GetTempPath(), "sluice-pg-" + Guid.NewGuid().ToString("N")[..12]),
            Durable = false,
            DeleteDataOnDispose = true,
        }, NullLogger.Instance));

    public async Task<TestDatabase> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await command.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = false };
        return new TestDatabase(AdminConnectionString, builder.ConnectionString, name);
    }

    /// <summary>
    /// <c>pg_ctl restart -m <paramref name="mode"/> -w</c> (waiting at most <paramref name="patience"/>, a hang guard): how
    /// long it took, and whether PostgreSQL stopped and started again within the patience.
    /// </summary>
    public async Task<(TimeSpan Took, bool Succeeded, string Output)> RestartAsync(string mode, TimeSpan patience)
    {
        var account = await ClusterAccount.ForCurrentProcessAsync(CancellationToken.None);
        var binDirectory = EmbeddedPostgres.FindBinDirectory() ?? throw new InvalidOperationException("no PostgreSQL binaries");
        var started = Stopwatch.StartNew();
        var result = await account.RunAsync(PostgresBinaries.Tool(binDirectory, "pg_ctl"),
            ["restart", "-D", _postgres.DataDirectory, "-m", mode, "-w", "-t", ((int)patience.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-l", _postgres.LogFile], CancellationToken.None);
        return (started.Elapsed, result.Succeeded, result.Output);
    }

    public ValueTask DisposeAsync() => _postgres.DisposeAsync();
}
