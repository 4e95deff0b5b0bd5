using Sluice.Bench.Baselines;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Memory per idle connection: the server process's VmRSS with N subscribed, idle connections minus its VmRSS
/// before they connected, divided by N. Baseline: the SignalR hub process with N connections, each in a group; and,
/// as the floor any Kestrel-based server stands on, a bare WebSocket endpoint that only waits for messages.
/// </summary>
public sealed class ConnectionsScenario : IScenario
{
    private const string Table = "bench_connections";
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public string Name => "connections";

    public string Baseline => "ASP.NET Core SignalR hub";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        var connections = context.Quick ? 1_000 : 10_000;
        await BenchTables.CreateAsync(db, Table);

        double sluice;
        await using (var server = await SluiceServer.StartAsync(db, Table))
        {
            await BenchTables.EnableAsync(db, Table);
            var counter = DeliveryCounter.For(long.MaxValue);
            sluice = await MeasureAsync(context, "sluice", server, connections, async _ =>
            {
                var client = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime"), counter);
                await client.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table)));
                return client;
            });
        }

        await db.DropSlotAsync(Table);
        double baseline;
        await using (var hub = await BaselineServers.StartSignalRAsync())
        {
            var uri = new Uri($"http://127.0.0.1:{hub.Port}/hub");
            baseline = await MeasureAsync(context, "signalr", hub, connections, async _ =>
            {
                var client = await SignalRSubscriber.ConnectAsync(uri, counter: null);
                await client.JoinAsync("bench");
                return client;
            });
        }

        double floor;
        await using (var bare = await BaselineServers.StartWebSocketFloorAsync())
        {
            var uri = bare.WebSocketUri("/ws");
            floor = await MeasureAsync(context, "websocket floor", bare, connections, async _ => await WsClient.ConnectAsync(uri, _ => { }));
        }

        return
        [
            new CaseResult($"{connections:N0} idle subscribers", "KiB/connection", sluice, baseline, HigherIsBetter: false),
            new CaseResult($"{connections:N0} idle, vs bare Kestrel WebSocket", "KiB/connection", sluice, floor, HigherIsBetter: false),
        ];
    }

    private static async Task<double> MeasureAsync<TClient>(
        ScenarioContext context, string who, ChildServer server, int connections, Func<int, Task<TClient>> open)
        where TClient : IAsyncDisposable
    {
        await Task.Delay(Settle);
        var before = server.ResidentKiB();
        ScenarioContext.Log($"{who}: opening {connections:N0} connections");
        var clients = await ClientPool.OpenAsync(connections, open);
        await Task.Delay(Settle);
        var after = server.ResidentKiB();
        await ClientPool.CloseAsync(clients);
        context.Details[$"{who.Replace(' ', '_')}_rss_before_kib"] = before;
        context.Details[$"{who.Replace(' ', '_')}_rss_after_kib"] = after;
        return (after - before) / (double)connections;
    }
}
