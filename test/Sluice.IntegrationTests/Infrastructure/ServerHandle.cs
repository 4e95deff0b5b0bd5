using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using System.Text.Json;
using Sluice.Server.Hosting;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>A real Sluice server on a loopback port, in this process.</summary>
public sealed class ServerHandle : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServerHandle(WebApplication app, Uri httpBase)
    {
        _app = app;
        HttpBase = httpBase;
        Http = new HttpClient { BaseAddress = httpBase };
    }

    public Uri HttpBase { get; }
    public Uri WebSocketUrl => new($"ws://{HttpBase.Authority}/realtime");
    public HttpClient Http { get; }

    public static async Task<ServerHandle> StartAsync(TestDatabase database, params string[] extraArgs)
    {
        string[] args =
        [
            "--database", database.ConnectionString,
            "--slot", database.SlotName,
            "--publication", database.PublicationName,
            "--urls", "http://127.0.0.1:0",
            "--Logging:LogLevel:Default", "Warning",
            .. extraArgs,
        ];
        var builder = SluiceServerBuilder.CreateBuilder(args);
        var app = await SluiceServerBuilder.BuildAsync(builder);
        await app.StartAsync();
        var address = SluiceServerBuilder.Addresses(app).First();
        var handle = new ServerHandle(app, new Uri(address));
        await handle.WaitUntilStreamingAsync();
        return handle;
    }

    public Task<TestClient> ConnectAsync(string query = "") => TestClient.ConnectAsync(new Uri(WebSocketUrl + query));

    public async Task<JsonElement> StatsAsync() => await Http.GetFromJsonAsync<JsonElement>("/api/realtime/stats");

    private async Task WaitUntilStreamingAsync()
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var response = await Http.GetAsync("/health");
            if (response.IsSuccessStatusCode)
                return;
            await Task.Delay(50);
        }
        throw new TimeoutException("the server did not start streaming within 30 s");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
