using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Client.Tests.Fakes;

/// <summary>
/// A scripted Sluice server: a tiny Kestrel app on a loopback port whose <c>/realtime</c> connections are handed to the
/// test one by one (<see cref="NextConnectionAsync"/>), which then plays the server's part frame by frame.
/// </summary>
public sealed class FakeServer : IAsyncDisposable
{
    /// <summary>How long to wait for the client to do something; a hang guard, not a latency assertion.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly WebApplication _app;
    private readonly Channel<FakeConnection> _connections = Channel.CreateUnbounded<FakeConnection>();
    private readonly List<FakeConnection> _all = [];

    private FakeServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public Uri HttpBase => new($"http://{Url.Authority}/");

    /// <summary>While true, WebSocket upgrades are refused with 403 (a proxy that blocks WebSockets).</summary>
    public bool RefuseWebSockets { get; set; }

    /// <summary>
    /// While true (the default), the server answers the heartbeat every client sends first to learn that its connection
    /// was accepted, before handing the connection to the test; false hands it over unanswered, for tests that script
    /// the acceptance or a refusal themselves.
    /// </summary>
    public bool AnswerHandshake { get; set; } = true;

    /// <summary>Answers <c>GET /api/tables/{name}/rows</c>; null answers 404.</summary>
    public Func<string, string?, IResult>? Rows { get; set; }

    public int RowRequests;

    /// <summary>How many WebSockets the client opened.</summary>
    public int Connections
    {
        get
        {
            lock (_all)
                return _all.Count;
        }
    }

    public static async Task<FakeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeServer? server = null;
        app.UseWebSockets();
        app.Map("/realtime", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest || server!.RefuseWebSockets)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
            var socket = await context.WebSockets.AcceptWebSocketAsync();
            var connection = new FakeConnection(socket, context.Request.QueryString.Value ?? "");
            lock (server._all)
                server._all.Add(connection);
            if (server.AnswerHandshake)
                await connection.AcceptHandshakeAsync();
            await server._connections.Writer.WriteAsync(connection);
            await connection.Closed;
        });
        app.MapGet("/api/tables/{name}/rows", (string name, HttpContext context) =>
        {
            Interlocked.Increment(ref server!.RowRequests);
            return server.Rows?.Invoke(name, context.Request.Query["filter"]) ?? Results.NotFound();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new FakeServer(app, new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/realtime"));
        return server;
    }

    /// <summary>The next WebSocket the client opens.</summary>
    public async Task<FakeConnection> NextConnectionAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            return await _connections.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the client did not connect within {Patience.TotalSeconds} s");
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_all)
        {
            foreach (var connection in _all)
                connection.Abort();
        }
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(patience.Token);
        await _app.DisposeAsync();
    }
}
