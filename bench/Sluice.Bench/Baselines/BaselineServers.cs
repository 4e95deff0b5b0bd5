using Sluice.Bench.Harness;

namespace Sluice.Bench.Baselines;

/// <summary>Starts the baseline servers as child processes, with Server GC like the Sluice web host.</summary>
public static class BaselineServers
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "Sluice.Bench.dll");

    private static readonly Dictionary<string, string> ServerGc = new() { ["DOTNET_gcServer"] = "1" };

    public static Task<ChildServer> StartSignalRAsync()
    {
        var port = LoopbackPort.Next();
        return ChildServer.StartAsync("signalr-hub", Dll,
            [BaselineHosts.SignalRCommand, "--urls", $"http://127.0.0.1:{port}"], port, ServerGc);
    }

    public static Task<ChildServer> StartWebSocketFloorAsync()
    {
        var port = LoopbackPort.Next();
        return ChildServer.StartAsync("websocket-floor", Dll,
            [BaselineHosts.WebSocketFloorCommand, "--urls", $"http://127.0.0.1:{port}"], port, ServerGc);
    }

    public static Task<ChildServer> StartNotifyRelayAsync(BenchDatabase database)
    {
        var port = LoopbackPort.Next();
        return ChildServer.StartAsync("notify-relay", Dll,
            [BaselineHosts.NotifyRelayCommand, "--urls", $"http://127.0.0.1:{port}", "--database", database.ConnectionString],
            port, ServerGc);
    }
}
