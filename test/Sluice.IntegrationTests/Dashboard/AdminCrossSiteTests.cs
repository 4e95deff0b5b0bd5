using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Dashboard;

/// <summary>
/// Issue 15, item 8: without <c>--admin-token</c> the admin API answers loopback clients only — and a web page the
/// operator's browser happens to show is not one: cross-origin and simple POSTs are refused, a Host that is not a
/// loopback name (DNS rebinding) is refused, Sluice's own schema cannot be enabled, and a Unix socket is not loopback.
/// </summary>
public sealed class AdminCrossSiteTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private readonly string _socketPath = Path.Combine(Path.GetTempPath(), $"sluice-admin-{Guid.NewGuid():N}.sock");

    protected override string[] ServerArgs => ["--urls", $"http://127.0.0.1:0;http://unix:{_socketPath}"];

    private async Task<HttpResponseMessage> EnableAsync(string table, Action<HttpRequestMessage>? configure = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/admin/tables/{table}/enable")
        {
            Content = new StringContent("{}", Encoding.UTF8, "application/json"),
        };
        configure?.Invoke(request);
        return await (client ?? Server.Http).SendAsync(request);
    }

    private async Task<bool> EnabledAsync(string table) =>
        await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE table_name = $1", table) > 0;

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{what}: expected 403, got {(int)response.StatusCode} {body}");
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(body).RootElement.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task A_cross_origin_post_is_refused()
    {
        await Database.ExecuteAsync("CREATE TABLE public.quiet (id bigint PRIMARY KEY)");
        using (var crossSite = await EnableAsync("public.quiet", request =>
               {
                   request.Headers.Add("Origin", "http://evil.example");
                   request.Content = new StringContent("", Encoding.UTF8, "text/plain");
               }))
            await AssertRefusedAsync(crossSite, "a cross-origin simple POST");
        using (var crossOriginJson = await EnableAsync("public.quiet", request => request.Headers.Add("Origin", "http://evil.example")))
            await AssertRefusedAsync(crossOriginJson, "a cross-origin POST");
        Assert.False(await EnabledAsync("quiet"));

        // The dashboard's own requests: same origin, JSON.
        using var sameOrigin = await EnableAsync("public.quiet", request => request.Headers.Add("Origin", $"http://{Server.HttpBase.Authority}"));
        Assert.Equal(HttpStatusCode.OK, sameOrigin.StatusCode);
        Assert.True(await EnabledAsync("quiet"));
    }

    [Fact]
    public async Task A_simple_post_without_origin_is_refused()
    {
        await Database.ExecuteAsync("CREATE TABLE public.quiet (id bigint PRIMARY KEY)");
        foreach (var contentType in new[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data" })
        {
            using var simple = await EnableAsync("public.quiet", request => request.Content = new StringContent("", Encoding.UTF8, contentType));
            await AssertRefusedAsync(simple, $"a POST with {contentType}");
        }
        using (var bodiless = new HttpRequestMessage(HttpMethod.Post, "/api/admin/tables/public.quiet/enable"))
            await AssertRefusedAsync(await Server.Http.SendAsync(bodiless), "a POST without a body");
        Assert.False(await EnabledAsync("quiet"));
    }

    [Fact]
    public async Task A_host_that_is_not_a_loopback_name_is_refused()
    {
        await Database.ExecuteAsync("CREATE TABLE public.quiet (id bigint PRIMARY KEY)");
        using (var rebound = await EnableAsync("public.quiet", request => request.Headers.Host = $"evil.example:{Server.HttpBase.Port}"))
            await AssertRefusedAsync(rebound, "a request for Host evil.example");
        using (var listing = new HttpRequestMessage(HttpMethod.Get, "/api/admin/tables"))
        {
            listing.Headers.Host = "evil.example";
            await AssertRefusedAsync(await Server.Http.SendAsync(listing), "listing tables for Host evil.example");
        }
        Assert.False(await EnabledAsync("quiet"));

        foreach (var host in new[] { "localhost", "127.0.0.1", "[::1]" })
        {
            using var local = await EnableAsync("public.quiet", request => request.Headers.Host = $"{host}:{Server.HttpBase.Port}");
            Assert.True(local.StatusCode == HttpStatusCode.OK, $"Host {host}: {(int)local.StatusCode}");
        }
    }

    [Fact]
    public async Task Sluices_own_schema_cannot_be_enabled()
    {
        using var response = await EnableAsync("sluice.slot_epochs");
        await AssertRefusedAsync(response, "enabling sluice.slot_epochs");
        Assert.False(await EnabledAsync("slot_epochs"));
        Assert.Equal(HttpStatusCode.OK, (await Server.Http.GetAsync("/api/admin/tables")).StatusCode);
    }

    [Fact]
    public async Task A_unix_socket_client_is_not_loopback()
    {
        await Database.ExecuteAsync("CREATE TABLE public.quiet (id bigint PRIMARY KEY)");
        using var overSocket = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        })
        { BaseAddress = new Uri("http://localhost/") };
        using (var enable = await EnableAsync("public.quiet", client: overSocket))
            await AssertRefusedAsync(enable, "a request over the Unix socket");
        Assert.False(await EnabledAsync("quiet"));
        // Open endpoints stay open there.
        using var stats = await overSocket.GetAsync("/api/realtime/stats");
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
    }
}
