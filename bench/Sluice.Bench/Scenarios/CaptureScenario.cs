using System.Diagnostics;
using Sluice.Bench.Baselines;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Capture throughput. The server is paused (SIGSTOP) while the workload is written, so both sides then
/// catch up over the same, already written WAL: Sluice from SIGCONT until its subscriber has every change,
/// pg_recvlogical (own slot, created before the workload) from start until it reaches the workload's end LSN.
/// </summary>
public sealed class CaptureScenario : IScenario
{
    private const string Table = "bench_capture";

    public string Name => "capture";

    public string Baseline => "pg_recvlogical (pgoutput → /dev/null)";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        var bulkRows = context.Quick ? 20_000 : 1_000_000;
        var (transactions, rowsEach) = context.Quick ? (2_000, 5) : (100_000, 5);

        await BenchTables.CreateAsync(db, Table);
        await using var server = await SluiceServer.StartAsync(db, Table);
        await BenchTables.EnableAsync(db, Table);
        var counter = DeliveryCounter.For(long.MaxValue);
        await using var subscriber = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime"), counter);
        await subscriber.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table)));

        var results = new List<CaseResult>
        {
            await MeasureAsync(context, server, subscriber, $"bulk: 1 tx × {bulkRows:N0} rows", "bulk", bulkRows,
                () => BenchTables.InsertRangeAsync(db, Table, 1, bulkRows)),
            await MeasureAsync(context, server, subscriber, $"small: {transactions:N0} tx × {rowsEach} rows", "small",
                transactions * rowsEach, () => BenchTables.InsertTransactionsAsync(db, Table, transactions, rowsEach)),
        };
        return results;
    }

    private static async Task<CaseResult> MeasureAsync(
        ScenarioContext context, ChildServer server, SluiceSubscriber subscriber, string name, string key, int changes, Func<Task> workload)
    {
        var db = context.Database;
        var slot = "bench_recv_" + key;
        await PgRecvLogical.CreateSlotAsync(db, slot);
        var counter = DeliveryCounter.For(changes);
        subscriber.Counter = counter;

        await server.PauseAsync();
        var written = Stopwatch.GetTimestamp();
        try
        {
            await workload();
        }
        finally
        {
            context.Details[$"{key}_write_seconds"] = Stopwatch.GetElapsedTime(written).TotalSeconds;
        }

        var endLsn = await db.ScalarAsync<string>("SELECT pg_current_wal_lsn()::text");
        ScenarioContext.Log($"{name}: written, catching up");
        var start = Stopwatch.GetTimestamp();
        using var serverProcess = Process.GetProcessById(server.ProcessId);
        var cpuBefore = serverProcess.TotalProcessorTime;
        await server.ResumeAsync();
        var (delivered, seconds, complete) = await context.WaitAsync($"sluice {key}", counter, changes, start);
        serverProcess.Refresh();
        // CPU the server spent catching up (all its threads): per change, less disturbed by other load than the wall-clock rate.
        context.Details[$"{key}_sluice_cpu_seconds"] = (serverProcess.TotalProcessorTime - cpuBefore).TotalSeconds;

        var baselineSeconds = await PgRecvLogical.RunAsync(db, slot, Table, endLsn, context.Patience);
        await db.DropSlotAsync(slot);
        context.Details[$"{key}_changes"] = changes;
        context.Details[$"{key}_sluice_seconds"] = seconds;
        context.Details[$"{key}_baseline_seconds"] = baselineSeconds;
        return new CaseResult(name, "changes/s", delivered / seconds, changes / baselineSeconds, HigherIsBetter: true, complete);
    }
}
