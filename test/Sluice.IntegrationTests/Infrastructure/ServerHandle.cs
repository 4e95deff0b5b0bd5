using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using System.Text.Json;
using Sluice.Server.Hosting;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>A real Sluice server on a loopback port, in this process.</summary>
public sealed class ServerHandle : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly string? _adminToken;

    private ServerHandle(WebApplication app, Uri httpBase, string? adminToken)
    {
        _app = app;
        _adminToken = adminToken;
        HttpBase = httpBase;
        Http = new HttpClient { BaseAddress = httpBase };
    }

    public Uri HttpBase { get; }
    public Uri WebSocketUrl => new($"ws://{HttpBase.Authority}/realtime");
    public HttpClient Http { get; }

    /// <summary>The running server's services, for tests that drive one component against the real database.</summary>
    public IServiceProvider Services => _app.Services;

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
        var app = SluiceServerBuilder.Build(builder);
        await app.StartAsync();
        var address = SluiceServerBuilder.Addresses(app).First();
        var tokenAt = Array.IndexOf(extraArgs, "--admin-token");
        var handle = new ServerHandle(app, new Uri(address), tokenAt >= 0 ? extraArgs[tokenAt + 1] : null);
        await handle.WaitUntilStreamingAsync();
        return handle;
    }

    public Task<TestClient> ConnectAsync(string query = "") => TestClient.ConnectAsync(new Uri(WebSocketUrl + query));

    /// <summary>The stats endpoint (with the admin token when the server was started with one).</summary>
    public async Task<JsonElement> StatsAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/realtime/stats");
        if (_adminToken is not null)
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _adminToken);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

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
