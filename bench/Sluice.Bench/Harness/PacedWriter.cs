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
            () => PreparedInsert.OpenAsync(database, insertSql),
            static (insert, i) => insert.ExecuteAsync(i + 1));
}
