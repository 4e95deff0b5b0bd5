using System.Diagnostics;

namespace Sluice.Bench.Harness;

/// <summary>
/// Issues single-row INSERT transactions at a fixed total rate for a fixed time over a few connections,
/// each row stamped with the Stopwatch time just before the statement is sent.
/// </summary>
public static class PacedWriter
{
    private const int Writers = 4;

    /// <returns>The number of rows written.</returns>
    public static async Task<int> RunAsync(BenchDatabase database, string insertSql, int perSecond, TimeSpan duration)
    {
        var total = (int)(perSecond * duration.TotalSeconds);
        var interval = Stopwatch.Frequency / (double)perSecond;
        var start = Stopwatch.GetTimestamp();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async _ =>
        {
            await using var connection = await database.DataSource.OpenConnectionAsync();
            await using var command = new Npgsql.NpgsqlCommand(insertSql, connection);
            var id = new Npgsql.NpgsqlParameter<int>();
            var ticks = new Npgsql.NpgsqlParameter<long>();
            command.Parameters.Add(id);
            command.Parameters.Add(ticks);
            await command.PrepareAsync();
            for (var i = Interlocked.Increment(ref next); i < total; i = Interlocked.Increment(ref next))
            {
                var due = start + (long)(i * interval);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                    await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
                id.TypedValue = i + 1;
                ticks.TypedValue = Stopwatch.GetTimestamp();
                await command.ExecuteNonQueryAsync();
            }
        }));
        return total;
    }
}
