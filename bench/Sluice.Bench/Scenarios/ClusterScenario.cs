using System.Diagnostics;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Scale-out on one machine: S subscribers of one channel spread evenly over three nodes sharing a Redis (cluster mode:
/// the leader captures and appends to the Redis stream, every node reads it and delivers), against the same S subscribers
/// on one node without Redis. Measures deliveries/s from the first write to the last delivery (M changes in transactions
/// of 10 rows), then p99 write → delivery latency while single-row transactions are paced at half the one-node saturation
/// rate. Every process (PostgreSQL, Redis, the nodes, the clients) shares this machine's cores, so the numbers show the
/// cost of the extra hop and of running three processes, not what three machines would do.
/// </summary>
public sealed class ClusterScenario : IScenario
{
    private const string Table = "bench_cluster";
    private const int RowsPerTransaction = 10;
    private const int Nodes = 3;

    public string Name => "cluster";

    public string Baseline => "the same subscribers on one node (no Redis)";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        var subscribers = context.Quick ? 300 : 3_000;
        var messages = context.Quick ? 200 : 1_000;
        var pacedFor = TimeSpan.FromSeconds(context.Quick ? 3 : 10);
        context.Details["subscribers"] = subscribers;
        context.Details["messages"] = messages;
        context.Details["paced_seconds"] = pacedFor.TotalSeconds;
        await BenchTables.CreateAsync(db, Table);
        var next = new[] { 1 };

        Measured single;
        await using (var server = await SluiceServer.StartAsync(db, Table))
        {
            await BenchTables.EnableAsync(db, Table);
            single = await MeasureAsync(context, "1 node", [server], subscribers, messages, pacedRate: null, pacedFor, next);
        }
        await db.DropSlotAsync(Table);

        Measured cluster;
        await using (var redis = await BenchRedis.StartAsync())
        {
            var nodes = new List<ChildServer>();
            try
            {
                for (var i = 0; i < Nodes; i++)
                    nodes.Add(await SluiceServer.StartAsync(db, Table, extraArguments: ["--redis", redis.Configuration, "--node-id", $"bench{i}"]));
                cluster = await MeasureAsync(context, $"{Nodes} nodes", nodes, subscribers, messages, single.PacedRate, pacedFor, next);
            }
            finally
            {
                foreach (var node in nodes)
                    await node.DisposeAsync();
            }
        }
        await db.DropSlotAsync(Table);

        context.Details["one_node_deliveries_per_second"] = single.Rate;
        context.Details["cluster_deliveries_per_second"] = cluster.Rate;
        context.Details["cluster_deliveries_per_second_per_node"] = cluster.Rate / Nodes;
        context.Details["paced_changes_per_second"] = single.PacedRate;
        context.Details["one_node_p50_ms"] = single.P50;
        context.Details["cluster_p50_ms"] = cluster.P50;
        return
        [
            new CaseResult($"{subscribers:N0} subscribers, {Nodes} nodes vs 1", "deliveries/s", cluster.Rate, single.Rate, HigherIsBetter: true,
                cluster.Complete && single.Complete),
            new CaseResult($"p50 at {single.PacedRate:N0} changes/s, {Nodes} nodes vs 1", "ms", cluster.P50, single.P50, HigherIsBetter: false,
                cluster.PacedComplete && single.PacedComplete),
            new CaseResult($"p99 at {single.PacedRate:N0} changes/s, {Nodes} nodes vs 1", "ms", cluster.P99, single.P99, HigherIsBetter: false,
                cluster.PacedComplete && single.PacedComplete),
        ];
    }

    private static async Task<Measured> MeasureAsync(ScenarioContext context, string label, IReadOnlyList<ChildServer> servers, int subscribers,
        int messages, double? pacedRate, TimeSpan pacedFor, int[] next)
    {
        var db = context.Database;
        var counter = DeliveryCounter.For((long)messages * subscribers);
        var latency = new LatencyRecorder();
        var clients = await ClientPool.OpenAsync(subscribers, async i =>
        {
            var client = await SluiceSubscriber.ConnectAsync(servers[i % servers.Count].WebSocketUri("/realtime"), counter, latency);
            await client.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table)));
            return client;
        });
        try
        {
            ScenarioContext.Log($"{label}: {messages} changes → {subscribers:N0} subscribers");
            var start = Stopwatch.GetTimestamp();
            for (var t = 0; t < messages / RowsPerTransaction; t++, next[0] += RowsPerTransaction)
                await BenchTables.InsertRangeAsync(db, Table, next[0], next[0] + RowsPerTransaction - 1);
            var (delivered, seconds, complete) = await context.WaitAsync($"{label} saturation", counter, (long)messages * subscribers, start);
            var rate = delivered / seconds;

            var perSecond = pacedRate ?? Math.Max(1, rate / 2 / subscribers);
            ScenarioContext.Log($"{label}: {perSecond:N0} changes/s → {subscribers:N0} subscribers, {pacedFor.TotalSeconds} s");
            counter.Reset(long.MaxValue);
            latency.Snapshot();
            var paced = await PacedWriter.RunAsync(db, BenchTables.SingleRowInsert(Table), perSecond, pacedFor);
            counter.SetTarget((long)paced * subscribers);
            var (_, _, pacedComplete) = await context.WaitAsync($"{label} paced", counter, (long)paced * subscribers, Stopwatch.GetTimestamp());
            var histogram = latency.Snapshot();
            return new Measured(rate, complete, perSecond, histogram.GetValueAtPercentile(50) / 1000.0, histogram.GetValueAtPercentile(99) / 1000.0, pacedComplete);
        }
        finally
        {
            await ClientPool.CloseAsync(clients);
        }
    }

    private sealed record Measured(double Rate, bool Complete, double PacedRate, double P50, double P99, bool PacedComplete);
}
