using System.Diagnostics;
using System.Globalization;
using Sluice.Bench.Baselines;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Row filters: S subscribers of one table, subscriber i with filter <c>id=eq.i</c>; each round inserts ids 1..S
/// in one transaction, so every change goes to exactly one subscriber. Deliveries/s from the first write to the
/// last delivery. Baseline: the SignalR hub with one group per id, sent the frames Sluice delivered. Each size starts with
/// one unmeasured round on both sides (as the latency, resume and rls scenarios do): without it the first size measured
/// the server process's first deliveries ever (JIT, first connections) rather than filtered delivery.
/// </summary>
public sealed class FiltersScenario : IScenario
{
    private const string Table = "bench_filters";

    public string Name => "filters";

    public string Baseline => "SignalR hub, group per id";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        int[] sizes = context.Quick ? [100, 1_000] : [100, 1_000, 10_000];
        var rounds = context.Quick ? 2 : 5;
        context.Details["rounds"] = rounds;
        await BenchTables.CreateAsync(db, Table);

        var sluice = new List<(double Rate, bool Complete, string[] Frames)>();
        await using (var server = await SluiceServer.StartAsync(db, Table))
        {
            await BenchTables.EnableAsync(db, Table);
            foreach (var size in sizes)
            {
                var counter = DeliveryCounter.For(size);
                var clients = await ClientPool.OpenAsync(size, async i =>
                {
                    var client = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime"), counter, keepFrames: 1);
                    await client.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table), filter: $"id=eq.{i + 1}"));
                    return client;
                });
                await BenchTables.InsertRangeAsync(db, Table, 1, size);
                if (!await counter.WaitAsync(context.Patience))
                    throw new TimeoutException($"sluice ×{size}: the warm-up round was not delivered");
                counter.Reset((long)rounds * size);
                ScenarioContext.Log($"sluice: {rounds} × {size:N0} rows → {size:N0} filtered subscribers");
                var start = Stopwatch.GetTimestamp();
                for (var r = 0; r < rounds; r++)
                    await BenchTables.InsertRangeAsync(db, Table, 1, size);
                var (delivered, seconds, complete) = await context.WaitAsync($"sluice ×{size}", counter, (long)rounds * size, start);
                var frames = clients.Select(c => c.Frames.FirstOrDefault() ?? "{}").ToArray();
                sluice.Add((delivered / seconds, complete, frames));
                await ClientPool.CloseAsync(clients);
            }
        }

        await db.DropSlotAsync(Table);
        var results = new List<CaseResult>();
        await using (var hub = await BaselineServers.StartSignalRAsync())
        {
            var uri = new Uri($"http://127.0.0.1:{hub.Port}/hub");
            await using var publisher = await SignalRSubscriber.ConnectAsync(uri, counter: null);
            for (var s = 0; s < sizes.Length; s++)
            {
                var size = sizes[s];
                var frames = sluice[s].Frames;
                var counter = DeliveryCounter.For(size);
                var clients = await ClientPool.OpenAsync(size, async i =>
                {
                    var client = await SignalRSubscriber.ConnectAsync(uri, counter);
                    await client.JoinAsync(Group(i));
                    return client;
                });
                await SignalRPublisher.PublishToAsync(publisher.Connection, size, i => (Group(i % size), frames[i % size]));
                if (!await counter.WaitAsync(context.Patience))
                    throw new TimeoutException($"signalr ×{size}: the warm-up round was not delivered");
                counter.Reset((long)rounds * size);
                ScenarioContext.Log($"signalr: {rounds} × {size:N0} messages → {size:N0} groups");
                var start = Stopwatch.GetTimestamp();
                await SignalRPublisher.PublishToAsync(publisher.Connection, rounds * size, i => (Group(i % size), frames[i % size]));
                var (delivered, seconds, complete) = await context.WaitAsync($"signalr ×{size}", counter, (long)rounds * size, start);
                await ClientPool.CloseAsync(clients);
                results.Add(new CaseResult($"{size:N0} filtered subscribers", "deliveries/s", sluice[s].Rate, delivered / seconds,
                    HigherIsBetter: true, sluice[s].Complete && complete));
            }
        }

        return results;
    }

    private static string Group(int index) => "id:" + (index + 1).ToString(CultureInfo.InvariantCulture);
}
