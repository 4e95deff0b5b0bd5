using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Dashboard;

/// <summary>The admin API behind the dashboard and the CLI: list tables, enable and disable realtime, guarded by the admin token.</summary>
public sealed class AdminApiTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private const string Token = "admin-token-for-tests";

    protected override string[] ServerArgs => ["--admin-token", Token];

    private HttpRequestMessage Request(HttpMethod method, string path, string? token = Token)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Fact]
    public async Task Tables_are_listed_and_toggled_only_with_the_admin_token()
    {
        await CreateTableAsync("streamed");
        await Database.ExecuteAsync("CREATE TABLE public.quiet (id bigint PRIMARY KEY)");

        using (var anonymous = await Server.Http.SendAsync(Request(HttpMethod.Get, "/api/admin/tables", token: null)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("unauthorized", (await anonymous.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }
        using (var wrong = await Server.Http.SendAsync(Request(HttpMethod.Post, "/api/admin/tables/public.quiet/enable", token: "nope")))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE table_name = 'quiet'"));

        var tables = await ListAsync();
        Assert.True(tables["public.streamed"]);
        Assert.False(tables["public.quiet"]);
        Assert.DoesNotContain(tables.Keys, name => name.StartsWith("sluice.", StringComparison.Ordinal));

        using (var enable = await Server.Http.SendAsync(Request(HttpMethod.Post, "/api/admin/tables/public.quiet/enable")))
        {
            Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
            Assert.True((await enable.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("enabled").GetBoolean());
        }
        Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE table_name = 'quiet'"));
        Assert.True((await ListAsync())["public.quiet"]);

        // The newly enabled table streams.
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.quiet");
        await Database.ExecuteAsync("INSERT INTO quiet VALUES (7)");
        Assert.Equal(7, (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());

        using (var disable = await Server.Http.SendAsync(Request(HttpMethod.Post, "/api/admin/tables/public.streamed/disable")))
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        Assert.False((await ListAsync())["public.streamed"]);

        using (var missing = await Server.Http.SendAsync(Request(HttpMethod.Post, "/api/admin/tables/public.no_such_table/enable")))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("table_not_found", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }
        using (var invalid = await Server.Http.SendAsync(Request(HttpMethod.Post, "/api/admin/tables/nodot/enable")))
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Theory]
    [InlineData("/api/realtime/stats")]
    [InlineData("/api/realtime/stats/history")]
    [InlineData("/metrics")]
    public async Task Stats_and_metrics_need_the_admin_token_when_one_is_configured(string path)
    {
        using (var anonymous = await Server.Http.SendAsync(Request(HttpMethod.Get, path, token: null)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("unauthorized", (await anonymous.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }
        using (var wrong = await Server.Http.SendAsync(Request(HttpMethod.Get, path, token: "nope")))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var allowed = await Server.Http.SendAsync(Request(HttpMethod.Get, path));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.NotEmpty(await allowed.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task The_page_shell_and_health_probes_stay_open(string path)
    {
        using var response = await Server.Http.SendAsync(Request(HttpMethod.Get, path, token: null));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<Dictionary<string, bool>> ListAsync()
    {
        using var response = await Server.Http.SendAsync(Request(HttpMethod.Get, "/api/admin/tables"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("tables").EnumerateArray().ToDictionary(
            t => t.GetProperty("schema").GetString() + "." + t.GetProperty("table").GetString(),
            t => t.GetProperty("enabled").GetBoolean());
    }
}
