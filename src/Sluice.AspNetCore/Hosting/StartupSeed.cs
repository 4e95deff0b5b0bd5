using Npgsql;

namespace Sluice.Server.Hosting;

/// <summary>
/// SQL to run once the database is prepared (the SQL API installed) and before capture starts — the executable's demo
/// table on the embedded PostgreSQL. Registered as a singleton; <see cref="SluiceStartup"/> runs every one in order.
/// </summary>
internal sealed class StartupSeed(string sql)
{
    public async Task RunAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
