using HdrHistogram;
using Sluice.Bench.Baselines;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// End-to-end latency: K single-row INSERT transactions per second for T seconds, S subscribers (and a second case: one
/// subscriber at a high rate, 5,000/s); latency is
/// from just before the INSERT is sent to the moment a subscriber has the frame (HdrHistogram, every delivery).
/// Baseline: an AFTER INSERT trigger calling pg_notify with row_to_json(NEW), relayed by one LISTEN connection
/// to plain WebSockets (<see cref="NotifyRelay"/>, a separate process).
/// </summary>
public sealed class LatencyScenario : IScenario
{
    private const string Table = "bench_latency";

    public string Name => "latency";

    public string Baseline => "LISTEN/NOTIFY trigger relay";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        var (perSecond, seconds, subscribers) = context.Quick ? (200, 5, 10) : (1_000, 30, 100);
        // The tail with one subscriber at a high rate (issue 20): what a single client of a busy table feels.
        var (fastPerSecond, fastSeconds) = context.Quick ? (1_000, 3) : (5_000, 30);
        context.Details["rate_per_second"] = perSecond;
        context.Details["seconds"] = seconds;
        context.Details["subscribers"] = subscribers;
        context.Details["one_subscriber_rate_per_second"] = fastPerSecond;
        context.Details["one_subscriber_seconds"] = fastSeconds;
        await BenchTables.CreateAsync(db, Table);

        HistogramBase sluice, sluiceOne;
        await using (var server = await SluiceServer.StartAsync(db, Table))
        {
            await BenchTables.EnableAsync(db, Table);
            Func<DeliveryCounter, LatencyRecorder, Task<SluiceSubscriber>> connect = async (counter, latency) =>
            {
                var client = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime"), counter, latency);
                await client.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table)));
                return client;
            };
            sluice = await MeasureAsync(context, "sluice", subscribers, perSecond, seconds, connect);
            sluiceOne = await MeasureAsync(context, "sluice one subscriber", 1, fastPerSecond, fastSeconds, connect);
        }

        await db.DropSlotAsync(Table);
        await db.ExecuteAsync($"TRUNCATE {Table}");
        await db.ExecuteAsync(NotifyTrigger.Create(Table));
        HistogramBase baseline, baselineOne;
        await using (var relay = await BaselineServers.StartNotifyRelayAsync(db))
        {
            Func<DeliveryCounter, LatencyRecorder, Task<WsClient>> connect = async (counter, latency) =>
                await WsClient.ConnectAsync(relay.WebSocketUri("/ws"), message =>
                {
                    if (FrameScan.Long(message, SluiceFrames.SentTicks) is { } sent)
                        latency.Record(System.Diagnostics.Stopwatch.GetTimestamp() - sent);
                    counter.Add();
                });
            baseline = await MeasureAsync(context, "notify relay", subscribers, perSecond, seconds, connect);
            baselineOne = await MeasureAsync(context, "notify relay one subscriber", 1, fastPerSecond, fastSeconds, connect);
        }

        await db.ExecuteAsync(NotifyTrigger.Drop(Table));
        var one = $"1 subscriber at {fastPerSecond:N0}/s: ";
        return
        [
            Percentile("p50", sluice, baseline, 50),
            Percentile("p95", sluice, baseline, 95),
            Percentile("p99", sluice, baseline, 99),
            new CaseResult("max", "ms", Millis(sluice.GetMaxValue()), Millis(baseline.GetMaxValue()), HigherIsBetter: false),
            Percentile(one + "p50", sluiceOne, baselineOne, 50),
            Percentile(one + "p99", sluiceOne, baselineOne, 99),
        ];
    }

    private static async Task<HistogramBase> MeasureAsync<TClient>(
        ScenarioContext context, string who, int subscribers, int perSecond, int seconds,
        Func<DeliveryCounter, LatencyRecorder, Task<TClient>> connect)
        where TClient : IAsyncDisposable
    {
        var counter = DeliveryCounter.For(long.MaxValue);
        var latency = new LatencyRecorder();
        var clients = await ClientPool.OpenAsync(subscribers, _ => connect(counter, latency));
        try
        {
            // Warm-up at the same rate, not recorded: the measured seconds then run JIT-optimized code in both
            // servers, as a long-running one would.
            var warmUp = TimeSpan.FromSeconds(context.Quick ? 1 : 5);
            ScenarioContext.Log($"{who}: warm-up, {perSecond}/s for {warmUp.TotalSeconds} s");
            var warmRows = await PacedWriter.RunAsync(context.Database, BenchTables.SingleRowInsert(Table), perSecond, warmUp);
            counter.SetTarget((long)warmRows * subscribers);
            if (!await counter.WaitAsync(context.Patience))
                throw new TimeoutException($"{who}: the warm-up deliveries did not arrive");
            counter.Reset(long.MaxValue);
            latency.Snapshot();

            ScenarioContext.Log($"{who}: {perSecond}/s for {seconds} s to {subscribers} subscribers");
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var rows = await PacedWriter.RunAsync(context.Database, BenchTables.SingleRowInsert(Table), perSecond, TimeSpan.FromSeconds(seconds));
            // The rate the writers reached (below perSecond when commits cannot keep up).
            context.Details[$"{who.Replace(' ', '_')}_written_per_second"] = rows / (double)seconds;
            counter.SetTarget((long)rows * subscribers);
            var (delivered, _, complete) = await context.WaitAsync(who, counter, (long)rows * subscribers, start);
            context.Details[$"{who.Replace(' ', '_')}_delivered"] = delivered;
            context.Details[$"{who.Replace(' ', '_')}_complete"] = complete ? 1 : 0;
            return latency.Snapshot();
        }
        finally
        {
            await ClientPool.CloseAsync(clients);
        }
    }

    private static CaseResult Percentile(string name, HistogramBase sluice, HistogramBase baseline, double percentile) =>
        new(name, "ms", Millis(sluice.GetValueAtPercentile(percentile)), Millis(baseline.GetValueAtPercentile(percentile)), HigherIsBetter: false);

    private static double Millis(long micros) => micros / 1000.0;
}
