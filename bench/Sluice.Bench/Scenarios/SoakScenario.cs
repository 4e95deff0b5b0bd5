using System.Diagnostics;
using System.Globalization;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Soak: mixed load for 30 minutes (quick: 1 minute) on one server with its default queue and retention limits, the
/// server's VmRSS sampled every 10 s. The load: small transactions at a steady rate (inserts, updates, deletes), a 5 MB
/// row every 15 s (sent reduced), 40 live subscribers (a quarter with LIKE and regular-expression filters), 5 clients
/// churning (subscribing with a snapshot or resuming with <c>since</c>, then leaving) and one sending invalid frames
/// (lone surrogate escapes, unknown types). Reports RSS after the warm-up minute against RSS at the end, and the peak:
/// bounded means the end is not above the level reached early on. No baseline: the "baseline" column is the early RSS.
/// </summary>
public sealed class SoakScenario : IScenario
{
    private const string Table = "bench_soak";
    private static readonly TimeSpan Sample = TimeSpan.FromSeconds(10);

    public string Name => "soak";

    public string Baseline => "its own RSS after the first minute";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        var duration = context.Quick ? TimeSpan.FromMinutes(1) : TimeSpan.FromMinutes(30);
        var warmUp = context.Quick ? TimeSpan.FromSeconds(15) : TimeSpan.FromMinutes(1);
        await db.ExecuteAsync($"""
            DROP TABLE IF EXISTS {Table};
            CREATE TABLE {Table} (id bigint PRIMARY KEY, grp int NOT NULL, title text NOT NULL, body text NOT NULL)
            """);

        // The server's own limits (the harness raises them for throughput benchmarks): memory is what is measured.
        await using var server = await SluiceServer.StartAsync(db, Table, ownLimits: true, extraArguments:
            ["--queue-frames", "10000", "--queue-bytes", "33554432", "--retention-changes", "100000", "--retention-bytes", "134217728"]);
        await db.ExecuteAsync($"SELECT enable_realtime('public', '{Table}')");

        var channel = BenchTables.Channel(Table);
        var counter = DeliveryCounter.For(long.MaxValue);
        var subscribers = await ClientPool.OpenAsync(40, async i =>
        {
            var client = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime"), counter);
            var filter = (i % 8) switch
            {
                0 => "title=like.%7%",
                1 => "title=ilike.T%0",
                2 => "title=match.\"^t[0-9]+5$\"",
                3 => $"grp=eq.{i % 10}",
                _ => null,
            };
            await client.SubscribeAsync(SluiceFrames.Subscribe(channel, filter));
            return client;
        });

        using var stop = new CancellationTokenSource(duration);
        var samples = new List<(double Seconds, double MiB)>();
        var clock = Stopwatch.StartNew();
        var load = Task.WhenAll(
            WriteAsync(db, stop.Token),
            BigRowsAsync(db, stop.Token),
            ChurnAsync(server, channel, stop.Token),
            BadFramesAsync(server, stop.Token));
        try
        {
            while (!stop.IsCancellationRequested)
            {
                samples.Add((clock.Elapsed.TotalSeconds, server.ResidentKiB() / 1024.0));
                ScenarioContext.Log($"soak {clock.Elapsed:mm\\:ss}: RSS {samples[^1].MiB:F0} MiB, {counter.Count} deliveries");
                await Task.Delay(Sample, stop.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
            await load;
        }
        finally
        {
            await ClientPool.CloseAsync(subscribers);
        }
        samples.Add((clock.Elapsed.TotalSeconds, server.ResidentKiB() / 1024.0));

        var early = samples.Where(s => s.Seconds >= warmUp.TotalSeconds).Take(6).Select(s => s.MiB).DefaultIfEmpty(samples[0].MiB).Average();
        var late = samples.TakeLast(6).Average(s => s.MiB);
        var peak = samples.Max(s => s.MiB);
        context.Details["minutes"] = duration.TotalMinutes;
        context.Details["deliveries"] = counter.Count;
        context.Details["rss_start_mib"] = samples[0].MiB;
        context.Details["rss_peak_mib"] = peak;
        for (var i = 0; i < samples.Count; i++)
            context.Details[string.Create(CultureInfo.InvariantCulture, $"rss_mib_at_{samples[i].Seconds:F0}s")] = Math.Round(samples[i].MiB, 1);
        return
        [
            new CaseResult("rss after the first minute → last minute", "MiB", late, early, HigherIsBetter: false),
            new CaseResult("rss peak → first minute", "MiB", peak, early, HigherIsBetter: false),
        ];
    }

    /// <summary>About 100 small transactions a second: inserts, updates and deletes over a rolling set of ids.</summary>
    private static async Task WriteAsync(BenchDatabase db, CancellationToken stop)
    {
        var id = 1_000_000L;
        var pace = Stopwatch.StartNew();
        var done = 0L;
        while (!stop.IsCancellationRequested)
        {
            id++;
            try
            {
                await db.ExecuteAsync($"INSERT INTO {Table} VALUES ($1, $2, 't' || $1, repeat('b', 200))", id, (int)(id % 10));
                if (id % 3 == 0)
                    await db.ExecuteAsync($"UPDATE {Table} SET title = title || 'u', body = repeat('c', 300) WHERE id = $1", id - 1);
                if (id % 2 == 0)
                    await db.ExecuteAsync($"DELETE FROM {Table} WHERE id = $1", id - 500);
            }
            catch (Npgsql.NpgsqlException) when (stop.IsCancellationRequested)
            {
                return;
            }
            done++;
            var ahead = TimeSpan.FromMilliseconds(done * 10) - pace.Elapsed;
            if (ahead > TimeSpan.Zero)
                await Task.Delay(ahead, stop).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>A 5 MB row every 15 s, updated once: over the maximum record size, so subscribers get it reduced.</summary>
    private static async Task BigRowsAsync(BenchDatabase db, CancellationToken stop)
    {
        var id = 0L;
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(15), stop).ContinueWith(static _ => { }, TaskScheduler.Default);
            if (stop.IsCancellationRequested)
                return;
            id++;
            await db.ExecuteAsync($"INSERT INTO {Table} VALUES ($1, 0, 'big', repeat('z', 5000000))", id);
            await db.ExecuteAsync($"UPDATE {Table} SET title = 'bigger' WHERE id = $1", id);
            await db.ExecuteAsync($"DELETE FROM {Table} WHERE id = $1", id - 2);
        }
    }

    /// <summary>Five clients at a time that come and go: a snapshot, a resume from an earlier offset, a plain subscribe.</summary>
    private static async Task ChurnAsync(ChildServer server, string channel, CancellationToken stop)
    {
        var counter = DeliveryCounter.For(long.MaxValue);
        string? lastOffset = null;
        var round = 0;
        while (!stop.IsCancellationRequested)
        {
            round++;
            var clients = new List<SluiceSubscriber>();
            try
            {
                for (var i = 0; i < 5; i++)
                {
                    var client = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime"), counter);
                    clients.Add(client);
                    var frame = ((round + i) % 3) switch
                    {
                        0 => SluiceFrames.Subscribe(channel, snapshot: true),
                        1 when lastOffset is not null => SluiceFrames.Subscribe(channel, since: lastOffset),
                        _ => SluiceFrames.Subscribe(channel),
                    };
                    await client.SubscribeAsync(frame);
                }
                await Task.Delay(TimeSpan.FromSeconds(3), stop).ContinueWith(static _ => { }, TaskScheduler.Default);
                lastOffset = clients.Select(c => c.LastOffset).LastOrDefault(o => o is not null) ?? lastOffset;
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.Net.WebSockets.WebSocketException)
            {
                // A resume from before the window gets resync_required: part of the mix, not a failure.
                lastOffset = null;
            }
            finally
            {
                await ClientPool.CloseAsync(clients);
            }
        }
    }

    /// <summary>One client sending frames a hostile client sends: lone surrogates, garbage, unknown types, heartbeats without a ref.</summary>
    private static async Task BadFramesAsync(ChildServer server, CancellationToken stop)
    {
        string[] frames =
        [
            """{"type":"\ud800"}""", """{"type":"subscribe","channel":"table:public.\udfff"}""", "{not json", """{"type":"teleport"}""",
            """{"type":"heartbeat"}""", """{"type":"heartbeat","ref":"x"}""",
        ];
        await using var client = await WsClient.ConnectAsync(server.WebSocketUri("/realtime"), _ => { });
        var i = 0;
        while (!stop.IsCancellationRequested)
        {
            await client.SendAsync(frames[i++ % frames.Length]);
            await Task.Delay(TimeSpan.FromMilliseconds(50), stop).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }
}
