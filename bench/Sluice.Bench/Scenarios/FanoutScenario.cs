using System.Diagnostics;
using Sluice.Bench.Baselines;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Fan-out: M changes (transactions of 10 rows) to S subscribers of one channel; delivered messages/s from the
/// first write to the last delivery. Baseline: a SignalR hub (separate process) broadcasting the very frames
/// Sluice delivered, sent by one publisher connection with 32 calls in flight, to the same number of clients.
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
        context.Details["messages"] = messages;
        await BenchTables.CreateAsync(db, Table);

        var sluice = new List<(double Rate, bool Complete)>();
        var payloads = new List<string>();
        await using (var server = await SluiceServer.StartAsync(db, Table))
        {
            await BenchTables.EnableAsync(db, Table);
            var first = 1;
            foreach (var size in sizes)
            {
                var counter = DeliveryCounter.For((long)messages * size);
                var clients = await ClientPool.OpenAsync(size, async i =>
                {
                    var client = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime"), counter,
                        keepFrames: i == 0 && payloads.Count == 0 ? messages : 0);
                    await client.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table)));
                    return client;
                });
                ScenarioContext.Log($"sluice: {messages} changes → {size:N0} subscribers");
                var start = Stopwatch.GetTimestamp();
                for (var t = 0; t < messages / RowsPerTransaction; t++, first += RowsPerTransaction)
                    await BenchTables.InsertRangeAsync(db, Table, first, first + RowsPerTransaction - 1);
                var (delivered, seconds, complete) = await context.WaitAsync($"sluice ×{size}", counter, (long)messages * size, start);
                sluice.Add((delivered / seconds, complete));
                if (payloads.Count == 0)
                    payloads.AddRange(clients[0].Frames);
                await ClientPool.CloseAsync(clients);
            }
        }

        await db.DropSlotAsync(Table);
        if (payloads.Count == 0)
            throw new InvalidOperationException("Sluice delivered no frames to replay through the baseline");
        var results = new List<CaseResult>();
        await using (var hub = await BaselineServers.StartSignalRAsync())
        {
            var uri = new Uri($"http://127.0.0.1:{hub.Port}/hub");
            await using var publisher = await SignalRSubscriber.ConnectAsync(uri, counter: null);
            for (var i = 0; i < sizes.Length; i++)
            {
                var size = sizes[i];
                var counter = DeliveryCounter.For((long)messages * size);
                var clients = await ClientPool.OpenAsync(size, _ => SignalRSubscriber.ConnectAsync(uri, counter));
                ScenarioContext.Log($"signalr: {messages} messages → {size:N0} clients");
                var start = Stopwatch.GetTimestamp();
                await SignalRPublisher.PublishAsync(publisher.Connection, payloads, messages);
                var (delivered, seconds, complete) = await context.WaitAsync($"signalr ×{size}", counter, (long)messages * size, start);
                await ClientPool.CloseAsync(clients);
                results.Add(new CaseResult($"{size:N0} subscribers", "messages/s", sluice[i].Rate, delivered / seconds,
                    HigherIsBetter: true, sluice[i].Complete && complete));
            }
        }

        return results;
    }
}
