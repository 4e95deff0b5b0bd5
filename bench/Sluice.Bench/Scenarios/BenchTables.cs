using System.Diagnostics;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Every scenario's table has the same shape: <c>seq</c> key, an <c>id</c> to filter on, the harness's
/// <c>sent_ticks</c> (Stopwatch ticks at write time), and a few ordinary columns (~120 bytes of row).
/// </summary>
public static class BenchTables
{
    private const string Columns = "id, sent_ticks, name, price, payload";
    private const string RowFromG = "g, $1, 'item ' || g, g * 1.25, repeat('x', 64)";

    public static string Channel(string table) => $"table:public.{table}";

    public static Task CreateAsync(BenchDatabase database, string table) => database.ExecuteAsync($"""
        DROP TABLE IF EXISTS {table};
        CREATE TABLE {table} (seq bigserial PRIMARY KEY, id int NOT NULL, sent_ticks bigint NOT NULL,
            name text NOT NULL, price numeric(10,2) NOT NULL, payload text NOT NULL)
        """);

    /// <summary>Adds the table to the running server's publication (the server installs enable_realtime).</summary>
    public static Task EnableAsync(BenchDatabase database, string table) =>
        database.ExecuteAsync($"SELECT enable_realtime('public', '{table}')");

    /// <summary>Inserts rows with ids <paramref name="first"/>..<paramref name="last"/> in one transaction.</summary>
    public static Task InsertRangeAsync(BenchDatabase database, string table, int first, int last) =>
        database.ExecuteAsync(
            $"INSERT INTO {table} ({Columns}) SELECT {RowFromG} FROM generate_series($2::int, $3::int) g",
            Stopwatch.GetTimestamp(), first, last);

    /// <summary><paramref name="transactions"/> transactions of <paramref name="rowsEach"/> rows over two connections.</summary>
    public static Task InsertTransactionsAsync(BenchDatabase database, string table, int transactions, int rowsEach)
    {
        const int Writers = 2;
        return Task.WhenAll(Enumerable.Range(0, Writers).Select(async w =>
        {
            for (var t = w; t < transactions; t += Writers)
                await InsertRangeAsync(database, table, (t * rowsEach) + 1, (t + 1) * rowsEach);
        }));
    }

    /// <summary>The SQL of a single-row insert stamped with the write time (parameters: id, sent_ticks).</summary>
    public static string SingleRowInsert(string table) =>
        $"INSERT INTO {table} ({Columns}) VALUES ($1, $2, 'item', 1.25, repeat('x', 64))";
}
