using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Bench.Baselines;

/// <summary>
/// The baseline servers, run as separate processes of this same executable (<c>serve-signalr</c>,
/// <c>serve-notify-relay</c>, <c>serve-websocket-floor</c>) so that they, like Sluice, do not share the load generator's process.
/// </summary>
public static class BaselineHosts
{
    public const string SignalRCommand = "serve-signalr";
    public const string NotifyRelayCommand = "serve-notify-relay";
    public const string WebSocketFloorCommand = "serve-websocket-floor";

    public static bool IsHostCommand(string[] args) =>
        args.Length > 0 && args[0] is SignalRCommand or NotifyRelayCommand or WebSocketFloorCommand;

    /// <summary>Runs a baseline server until SIGTERM: <c>&lt;command&gt; --urls URL [--database CS]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args[1..]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (args[0] == SignalRCommand)
        {
            builder.Services.AddSignalR(o => o.MaximumParallelInvocationsPerClient = 64);
            var app = builder.Build();
            app.UseWebSockets();
            app.MapHub<BenchHub>("/hub");
            app.MapGet("/health", () => "ok");
            await app.RunAsync();
        }
        else if (args[0] == WebSocketFloorCommand)
        {
            var app = builder.Build();
            app.UseWebSockets();
            app.Map("/ws", WebSocketFloor.AcceptAsync);
            app.MapGet("/health", () => "ok");
            await app.RunAsync();
        }
        else
        {
            var database = builder.Configuration["database"] ?? throw new InvalidOperationException("--database is required");
            builder.Services.AddSingleton(new NotifyRelay(database));
            builder.Services.AddHostedService(s => s.GetRequiredService<NotifyRelay>());
            var app = builder.Build();
            app.UseWebSockets();
            var relay = app.Services.GetRequiredService<NotifyRelay>();
            app.Map("/ws", relay.AcceptAsync);
            app.MapGet("/health", () => relay.Listening ? Microsoft.AspNetCore.Http.Results.Ok("ok") : Microsoft.AspNetCore.Http.Results.StatusCode(503));
            await app.RunAsync();
        }

        return 0;
    }
}
