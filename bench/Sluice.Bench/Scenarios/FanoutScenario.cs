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
/// same number of clients. Last, for 1 and 100 subscribers, Sluice's p99 again, paced at the baseline's rate.
/// </summary>
public sealed class FanoutScenario : IScenario
{
    private const string Table = "bench_fanout";
    private const int RowsPerTransaction = 10;
    // The sizes measured again at the baseline's paced rate (the 1- and 100-subscriber tails are issue 20's targets).
    private const int SameRateMaxSubscribers = 100;

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

        var payloads = new List<string>();
        var sluice = await SluicePassAsync(context, sizes, messages, pacedFor, payloads, static (_, size, rate) => HalfSaturation(rate, size));
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
                signalr.Add(new Measured(rate, complete, perSecond, Millis(latency.Snapshot().GetValueAtPercentile(99)), pacedComplete));
                await ClientPool.CloseAsync(clients);
            }
        }

        // Each side's half saturation is its own rate, and Sluice's is taken from 10-row transactions while its paced phase
        // commits one row per transaction, so the two paced phases need not load the machine alike. Sluice is measured again
        // at SignalR's paced rate (a fresh server, warmed by the same saturation burst), so the tails are also compared at
        // one rate.
        var sameRateSizes = sizes.Where(static size => size <= SameRateMaxSubscribers).ToArray();
        var sameRate = await SluicePassAsync(context, sameRateSizes, messages, pacedFor, payloads: null,
            (i, _, _) => signalr[i].PacedPerSecond);

        for (var i = 0; i < sizes.Length; i++)
        {
            context.Details[$"paced_per_second_sluice_{sizes[i]}"] = Math.Round(sluice[i].PacedPerSecond);
            context.Details[$"paced_per_second_baseline_{sizes[i]}"] = Math.Round(signalr[i].PacedPerSecond);
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
        for (var i = 0; i < sameRateSizes.Length; i++)
        {
            results.Add(new CaseResult($"{sameRateSizes[i]:N0} subscribers, p99 at the baseline's 50 % rate", "ms", sameRate[i].P99, signalr[i].P99,
                HigherIsBetter: false, sameRate[i].PacedComplete && signalr[i].PacedComplete,
                Note: $"{signalr[i].PacedPerSecond:N0}/s"));
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

    /// <summary>
    /// Sluice on a server of its own, for each size: subscribers connect, <paramref name="messages"/> changes in 10-row
    /// transactions measure the saturation rate, then single-row transactions paced at <paramref name="pacedRate"/>(index,
    /// size, saturation rate) measure the p99. With <paramref name="payloads"/>, the first subscriber's frames are kept there
    /// for the baseline to send.
    /// </summary>
    private static async Task<List<Measured>> SluicePassAsync(ScenarioContext context, int[] sizes, int messages, TimeSpan pacedFor,
        List<string>? payloads, Func<int, int, double, double> pacedRate)
    {
        var db = context.Database;
        var measured = new List<Measured>();
        await using (var server = await SluiceServer.StartAsync(db, Table))
        {
            await BenchTables.EnableAsync(db, Table);
            var first = 1;
            for (var i = 0; i < sizes.Length; i++)
            {
                var size = sizes[i];
                var counter = DeliveryCounter.For((long)messages * size);
                var latency = new LatencyRecorder();
                var clients = await ClientPool.OpenAsync(size, async c =>
                {
                    var client = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime"), counter, latency,
                        keepFrames: c == 0 && payloads is { Count: 0 } ? messages : 0);
                    await client.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table)));
                    return client;
                });
                ScenarioContext.Log($"sluice: {messages} changes → {size:N0} subscribers");
                var start = Stopwatch.GetTimestamp();
                for (var t = 0; t < messages / RowsPerTransaction; t++, first += RowsPerTransaction)
                    await BenchTables.InsertRangeAsync(db, Table, first, first + RowsPerTransaction - 1);
                var (delivered, seconds, complete) = await context.WaitAsync($"sluice ×{size}", counter, (long)messages * size, start);
                var rate = delivered / seconds;
                if (payloads is { Count: 0 })
                    payloads.AddRange(clients[0].Frames);

                var perSecond = pacedRate(i, size, rate);
                ScenarioContext.Log($"sluice: {perSecond:N0} changes/s paced → {size:N0} subscribers, {pacedFor.TotalSeconds} s");
                counter.Reset(long.MaxValue);
                latency.Snapshot();
                var paced = await PacedWriter.RunAsync(db, BenchTables.SingleRowInsert(Table), perSecond, pacedFor);
                var pacedComplete = await WaitPacedAsync(context, $"sluice ×{size} paced", counter, (long)paced * size);
                measured.Add(new Measured(rate, complete, perSecond, Millis(latency.Snapshot().GetValueAtPercentile(99)), pacedComplete));
                await ClientPool.CloseAsync(clients);
            }
        }

        await db.DropSlotAsync(Table);
        return measured;
    }

    private sealed record Measured(double Rate, bool Complete, double PacedPerSecond, double P99, bool PacedComplete);
}
