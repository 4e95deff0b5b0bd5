using System.Diagnostics;
using Npgsql;

namespace Sluice.Bench.Harness;

/// <summary>
/// Issues single-row INSERT transactions at a fixed total rate for a fixed time over a few connections,
/// each row stamped with the Stopwatch time just before the statement is sent.
/// </summary>
public static class PacedWriter
{
    private const int Writers = 4;

    /// <returns>The number of rows written.</returns>
    public static Task<int> RunAsync(BenchDatabase database, string insertSql, double perSecond, TimeSpan duration) =>
        Pacer.RunAsync(perSecond, duration, Writers,
            async () =>
            {
                var connection = await database.DataSource.OpenConnectionAsync();
                var insert = new Insert(connection, new NpgsqlCommand(insertSql, connection));
                insert.Command.Parameters.Add(insert.Id);
                insert.Command.Parameters.Add(insert.Ticks);
                await insert.Command.PrepareAsync();
                return insert;
            },
            async (insert, i) =>
            {
                insert.Id.TypedValue = i + 1;
                insert.Ticks.TypedValue = Stopwatch.GetTimestamp();
                await insert.Command.ExecuteNonQueryAsync();
            });

    private sealed record Insert(NpgsqlConnection Connection, NpgsqlCommand Command) : IAsyncDisposable
    {
        public NpgsqlParameter<int> Id { get; } = new();
        public NpgsqlParameter<long> Ticks { get; } = new();

        public async ValueTask DisposeAsync()
        {
            await Command.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}
