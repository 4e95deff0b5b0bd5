using System.Diagnostics;
using Sluice.Bench.Baselines;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Fan-out: M changes (transactions of 10 rows) to S subscribers of one channel; delivered messages/s from the
/// first write to the last delivery (saturation). Then, at half that rate (single-row transactions, paced), the
/// p99 write → delivery latency. Baseline: a SignalR hub (separate process) broadcasting the very frames Sluice
/// delivered, sent by one publisher connection with 32 calls in flight (paced: each stamped when sent), to the
/// same number of clients.
/// </summary>
public sealed class FanoutScenario : IScenario
{
    private const string Table = "bench_fanout";
    private const int RowsPerTransaction = 10;

    public string Name => "fanout";

    public string Baseline => "ASP.NET Core SignalR hub";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        int[] sizes = context.Quick ? [1, 100, 1_000] : [1, 100, 1_000, 10_000];
        var messages = context.Quick ? 200 : 1_000;
        var pacedFor = TimeSpan.FromSeconds(context.Quick ? 2 : 5);
        context.Details["messages"] = messages;
        context.Details["paced_seconds"] = pacedFor.TotalSeconds;
        await BenchTables.CreateAsync(db, Table);

        var sluice = new List<Measured>();
        var payloads = new List<string>();
        await using (var server = await SluiceServer.StartAsync(db, Table))
        {
            await BenchTables.EnableAsync(db, Table);
            var first = 1;
            foreach (var size in sizes)
            {
                var counter = DeliveryCounter.For((long)messages * size);
                var latency = new LatencyRecorder();
                var clients = await ClientPool.OpenAsync(size, async i =>
                {
                    var client = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime"), counter, latency,
                        keepFrames: i == 0 && payloads.Count == 0 ? messages : 0);
                    await client.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table)));
                    return client;
                });
                ScenarioContext.Log($"sluice: {messages} changes → {size:N0} subscribers");
                var start = Stopwatch.GetTimestamp();
                for (var t = 0; t < messages / RowsPerTransaction; t++, first += RowsPerTransaction)
                    await BenchTables.InsertRangeAsync(db, Table, first, first + RowsPerTransaction - 1);
                var (delivered, seconds, complete) = await context.WaitAsync($"sluice ×{size}", counter, (long)messages * size, start);
                var rate = delivered / seconds;
                if (payloads.Count == 0)
                    payloads.AddRange(clients[0].Frames);

                var perSecond = HalfSaturation(rate, size);
                ScenarioContext.Log($"sluice: {perSecond:N0} changes/s (50 % of saturation) → {size:N0} subscribers, {pacedFor.TotalSeconds} s");
                counter.Reset(long.MaxValue);
                latency.Snapshot();
                var paced = await PacedWriter.RunAsync(db, BenchTables.SingleRowInsert(Table), perSecond, pacedFor);
                var pacedComplete = await WaitPacedAsync(context, $"sluice ×{size} paced", counter, (long)paced * size);
                sluice.Add(new Measured(rate, complete, Millis(latency.Snapshot().GetValueAtPercentile(99)), pacedComplete));
                await ClientPool.CloseAsync(clients);
            }
        }

        await db.DropSlotAsync(Table);
        if (payloads.Count == 0)
            throw new InvalidOperationException("Sluice delivered no frames to replay through the baseline");
        var signalr = new List<Measured>();
        await using (var hub = await BaselineServers.StartSignalRAsync())
        {
            var uri = new Uri($"http://127.0.0.1:{hub.Port}/hub");
            await using var publisher = await SignalRSubscriber.ConnectAsync(uri, counter: null);
            foreach (var size in sizes)
            {
                var counter = DeliveryCounter.For((long)messages * size);
                var latency = new LatencyRecorder();
                var clients = await ClientPool.OpenAsync(size, _ => SignalRSubscriber.ConnectAsync(uri, counter, latency));
                ScenarioContext.Log($"signalr: {messages} messages → {size:N0} clients");
                var start = Stopwatch.GetTimestamp();
                await SignalRPublisher.PublishAsync(publisher.Connection, payloads, messages);
                var (delivered, seconds, complete) = await context.WaitAsync($"signalr ×{size}", counter, (long)messages * size, start);
                var rate = delivered / seconds;

                var perSecond = HalfSaturation(rate, size);
                ScenarioContext.Log($"signalr: {perSecond:N0} messages/s (50 % of saturation) → {size:N0} clients, {pacedFor.TotalSeconds} s");
                counter.Reset(long.MaxValue);
                latency.Snapshot();
                var paced = await SignalRPublisher.PublishPacedAsync(publisher.Connection, payloads, perSecond, pacedFor);
                var pacedComplete = await WaitPacedAsync(context, $"signalr ×{size} paced", counter, (long)paced * size);
                signalr.Add(new Measured(rate, complete, Millis(latency.Snapshot().GetValueAtPercentile(99)), pacedComplete));
                await ClientPool.CloseAsync(clients);
            }
        }

        var results = new List<CaseResult>();
        for (var i = 0; i < sizes.Length; i++)
        {
            results.Add(new CaseResult($"{sizes[i]:N0} subscribers", "messages/s", sluice[i].Rate, signalr[i].Rate,
                HigherIsBetter: true, sluice[i].Complete && signalr[i].Complete));
        }
        for (var i = 0; i < sizes.Length; i++)
        {
            results.Add(new CaseResult($"{sizes[i]:N0} subscribers, p99 at 50 % saturation", "ms", sluice[i].P99, signalr[i].P99,
                HigherIsBetter: false, sluice[i].PacedComplete && signalr[i].PacedComplete));
        }
        return results;
    }

    /// <summary>Half of the measured delivery rate, as messages per second to send to <paramref name="size"/> receivers.</summary>
    private static double HalfSaturation(double deliveriesPerSecond, int size) => Math.Max(1, deliveriesPerSecond / 2 / size);

    private static async Task<bool> WaitPacedAsync(ScenarioContext context, string what, DeliveryCounter counter, long target)
    {
        counter.SetTarget(target);
        var (_, _, complete) = await context.WaitAsync(what, counter, target, Stopwatch.GetTimestamp());
        return complete;
    }

    private static double Millis(long micros) => micros / 1000.0;

    private sealed record Measured(double Rate, bool Complete, double P99, bool PacedComplete);
}
