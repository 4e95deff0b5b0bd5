using System.Diagnostics;
using Npgsql;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Catching up. Resume: a client that missed M changes subscribes with <c>since</c> its last offset; replay
/// changes/s from the subscribe to the M-th change. Snapshot: a table of R rows read with <c>snapshot:true</c>;
/// rows/s to the last snapshot row. Baseline for both: what a client without them does, in the harness —
/// re-query the missed rows (<c>seq &gt; last</c>) or the whole table as <c>row_to_json</c> over Npgsql.
/// </summary>
public sealed class ResumeScenario : IScenario
{
    private const string Table = "bench_resume";
    private const string SnapshotTable = "bench_snapshot";
    private const string WarmUpSnapshotTable = "bench_snapshot_warm";
    private const int WarmUpRounds = 3;
    private static readonly TimeSpan WarmUpPause = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan SettlePause = TimeSpan.FromSeconds(2);

    public string Name => "resume";

    public string Baseline => "re-query rows as JSON (Npgsql)";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        var missed = context.Quick ? 20_000 : 100_000;
        var snapshotRows = context.Quick ? 50_000 : 1_000_000;
        await BenchTables.CreateAsync(db, Table);
        await BenchTables.CreateAsync(db, SnapshotTable);
        await BenchTables.InsertRangeAsync(db, SnapshotTable, 1, snapshotRows);
        await db.ExecuteAsync($"VACUUM ANALYZE {SnapshotTable}");
        var warmUpRows = snapshotRows / 5;
        await BenchTables.CreateAsync(db, WarmUpSnapshotTable);
        await BenchTables.InsertRangeAsync(db, WarmUpSnapshotTable, 1, warmUpRows);
        await db.ExecuteAsync($"VACUUM ANALYZE {WarmUpSnapshotTable}");

        await using var server = await SluiceServer.StartAsync(db, Table, retentionChanges: (missed * 3) + 1_000);
        await BenchTables.EnableAsync(db, Table);
        await BenchTables.EnableAsync(db, SnapshotTable);
        await BenchTables.EnableAsync(db, WarmUpSnapshotTable);
        var uri = server.WebSocketUri("/realtime");
        var channel = BenchTables.Channel(Table);

        // A client sees one change, remembers its offset, and goes away.
        string offset;
        long lastSeq;
        var seen = DeliveryCounter.For(1);
        await using (var early = await SluiceSubscriber.ConnectAsync(uri, seen))
        {
            await early.SubscribeAsync(SluiceFrames.Subscribe(channel));
            await BenchTables.InsertRangeAsync(db, Table, 0, 0);
            if (!await seen.WaitAsync(context.Patience))
                throw new TimeoutException("the first change did not arrive");
            offset = early.LastOffset ?? throw new InvalidOperationException("a change frame without an offset");
            lastSeq = await db.ScalarAsync<long>($"SELECT max(seq) FROM {Table}");
        }

        // Warm-up: smaller resumes first, so the measured one runs JIT-optimized code like a long-running server would.
        // One was not enough: the tiered JIT promotes a method only after a quiet spell once it is hot, in steps
        // (instrumented, then optimized), and a profile found it at 32 % of the server's samples during the measured
        // replay after a single 20,000-change warm-up. So three, with a pause after each for the background compiler.
        var warmUp = Math.Max(1_000, missed / 5);
        var written = 0;
        for (var round = 0; round < WarmUpRounds; round++)
        {
            await BenchTables.InsertRangeAsync(db, Table, written + 1, written + warmUp);
            written += warmUp;
            var warmed = DeliveryCounter.For(warmUp);
            await using (var warm = await SluiceSubscriber.ConnectAsync(uri, warmed))
            {
                await warm.SubscribeAsync(SluiceFrames.Subscribe(channel, since: offset, batchCatchUp: true));
                if (!await warmed.WaitAsync(context.Patience))
                    throw new TimeoutException("the warm-up resume did not complete");
                offset = warm.LastOffset ?? throw new InvalidOperationException("a change frame without an offset");
            }
            await Task.Delay(WarmUpPause);
        }
        lastSeq = await db.ScalarAsync<long>($"SELECT max(seq) FROM {Table}");

        await BenchTables.InsertRangeAsync(db, Table, written + 1, written + missed);
        await SluiceServer.WaitRetainedAsync(server, written + missed + 1, context.Patience);
        // The client comes back after the burst, not in the middle of the server capturing it (without this pause the
        // first resume measured ran ~30 % slower than a second one of the same changes, whichever kind came first).
        await Task.Delay(SettlePause);
        ScenarioContext.Log($"resuming after {missed:N0} missed changes");
        var replayed = DeliveryCounter.For(missed);
        var start = Stopwatch.GetTimestamp();
        double replay;
        bool replayComplete;
        await using (var late = await SluiceSubscriber.ConnectAsync(uri, replayed))
        {
            // As the SDK resumes: the replayed changes several to a frame (batch_catch_up).
            await late.SubscribeAsync(SluiceFrames.Subscribe(channel, since: offset, batchCatchUp: true));
            var (delivered, seconds, complete) = await context.WaitAsync("replay", replayed, missed, start);
            (replay, replayComplete) = (delivered / seconds, complete);
        }

        // The same changes again, one frame each, as a seed-003 (Fluxbase) client that does not ask for batches gets them.
        await Task.Delay(WarmUpPause);
        var replayedAlone = DeliveryCounter.For(missed);
        start = Stopwatch.GetTimestamp();
        double replayAlone;
        bool replayAloneComplete;
        await using (var late = await SluiceSubscriber.ConnectAsync(uri, replayedAlone))
        {
            await late.SubscribeAsync(SluiceFrames.Subscribe(channel, since: offset));
            var (delivered, seconds, complete) = await context.WaitAsync("replay, one frame per change", replayedAlone, missed, start);
            (replayAlone, replayAloneComplete) = (delivered / seconds, complete);
        }

        // The baselines warm up the same way (the harness's reading loop JIT-optimized before either is measured).
        for (var round = 0; round < WarmUpRounds; round++)
        {
            await QueryRateAsync(db, $"SELECT row_to_json(t)::text FROM {WarmUpSnapshotTable} t", warmUpRows);
            await Task.Delay(WarmUpPause);
        }
        var requery = await QueryRateAsync(db, $"SELECT row_to_json(t)::text FROM {Table} t WHERE seq > {lastSeq} ORDER BY seq", missed);

        // Warm-up, as for the resume: smaller snapshots of another table first (on a fresh process the snapshot's read
        // loop ran quick-JITted and the tiered JIT took ~11 % of the machine's samples during the measured one, and 17 %
        // after one warm-up snapshot).
        for (var round = 0; round < WarmUpRounds; round++)
        {
            var warmRows = DeliveryCounter.For(warmUpRows);
            await using (var warm = await SluiceSubscriber.ConnectAsync(uri, warmRows))
            {
                await warm.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(WarmUpSnapshotTable), snapshot: true));
                if (!await warmRows.WaitAsync(context.Patience))
                    throw new TimeoutException("the warm-up snapshot did not complete");
            }
            await Task.Delay(WarmUpPause);
        }

        ScenarioContext.Log($"snapshot of {snapshotRows:N0} rows");
        var rows = DeliveryCounter.For(snapshotRows);
        start = Stopwatch.GetTimestamp();
        double snapshot;
        bool snapshotComplete;
        await using (var fresh = await SluiceSubscriber.ConnectAsync(uri, rows))
        {
            await fresh.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(SnapshotTable), snapshot: true));
            var (delivered, seconds, complete) = await context.WaitAsync("snapshot rows", rows, snapshotRows, start);
            (snapshot, snapshotComplete) = (delivered / seconds, complete);
        }

        var select = await QueryRateAsync(db, $"SELECT row_to_json(t)::text FROM {SnapshotTable} t", snapshotRows);
        context.Details["missed_changes"] = missed;
        context.Details["snapshot_rows"] = snapshotRows;
        return
        [
            new CaseResult($"resume after {missed:N0} missed", "changes/s", replay, requery, HigherIsBetter: true, replayComplete),
            new CaseResult($"resume after {missed:N0} missed, one frame per change", "changes/s", replayAlone, requery, HigherIsBetter: true, replayAloneComplete),
            new CaseResult($"snapshot of {snapshotRows:N0} rows", "rows/s", snapshot, select, HigherIsBetter: true, snapshotComplete),
        ];
    }

    /// <summary>Reads every row of <paramref name="sql"/> (one JSON text each) in a repeatable-read transaction; rows/s.</summary>
    private static async Task<double> QueryRateAsync(BenchDatabase db, string sql, int expected)
    {
        var start = Stopwatch.GetTimestamp();
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync();
        long rows = 0, chars = 0;
        while (await reader.ReadAsync())
        {
            chars += reader.GetString(0).Length;
            rows++;
        }

        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (rows != expected || chars == 0)
            throw new InvalidOperationException($"the baseline query returned {rows} rows, expected {expected}");
        return rows / seconds;
    }
}
