using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sluice.Client;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Client;

/// <summary><c>GET /api/tables/{schema}.{table}/rows</c> and the SDK's HTTP fallback that uses it.</summary>
public sealed class RowsEndpointTests(PostgresFixture postgres) : ServerTest(postgres)
{
    // Small snapshot chunks, so a response joins several of them.
    protected override string[] ServerArgs => ["--Sluice:SnapshotRowsPerFrame", "2"];

    [Fact]
    public async Task Returns_every_row_with_json_types_across_chunks()
    {
        await CreateTableAsync("rows_all", "id bigint PRIMARY KEY, name text, price numeric(10,2), tags text[]");
        await Database.ExecuteAsync("INSERT INTO public.rows_all SELECT g, 'n' || g, g * 1.5, ARRAY['a'] FROM generate_series(1, 7) g");

        var body = await Server.Http.GetFromJsonAsync<JsonElement>("/api/tables/public.rows_all/rows");

        Assert.Equal("public", body.GetProperty("schema").GetString());
        Assert.Equal("rows_all", body.GetProperty("table").GetString());
        var rows = body.GetProperty("rows").EnumerateArray().OrderBy(r => r.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i), rows.Select(r => r.GetProperty("id").GetInt64()));
        Assert.Equal(4.5m, rows[2].GetProperty("price").GetDecimal());
        Assert.Equal("a", rows[0].GetProperty("tags")[0].GetString());
    }

    [Fact]
    public async Task An_empty_table_and_a_filter_work_like_a_subscription_snapshot()
    {
        await CreateTableAsync("rows_filtered");
        var empty = await Server.Http.GetFromJsonAsync<JsonElement>("/api/tables/public.rows_filtered/rows");
        Assert.Equal(0, empty.GetProperty("rows").GetArrayLength());

        await Database.ExecuteAsync("INSERT INTO public.rows_filtered SELECT g, 'n' || g, g * 10 FROM generate_series(1, 9) g");
        var filtered = await Server.Http.GetFromJsonAsync<JsonElement>("/api/tables/public.rows_filtered/rows?filter=" + Uri.EscapeDataString("price=gte.50"));
        Assert.Equal([5L, 6L, 7L, 8L, 9L], filtered.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).Order());
    }

    [Theory]
    [InlineData("/api/tables/public.nope/rows", HttpStatusCode.NotFound, ErrorCodes.TableNotFound)]
    [InlineData("/api/tables/public.rows_plain/rows", HttpStatusCode.NotFound, ErrorCodes.RealtimeNotEnabled)]
    [InlineData("/api/tables/public.rows_enabled/rows?filter=nope%3Deq.1", HttpStatusCode.BadRequest, ErrorCodes.InvalidFilter)]
    [InlineData("/api/tables/public.rows_enabled/rows?filter=id%3Deq.abc", HttpStatusCode.BadRequest, ErrorCodes.InvalidFilter)]
    [InlineData("/api/tables/nodot/rows", HttpStatusCode.BadRequest, ErrorCodes.InvalidChannel)]
    public async Task Refusals_carry_the_websocket_error_codes(string path, HttpStatusCode status, string code)
    {
        await Database.ExecuteAsync("CREATE TABLE public.rows_plain (id bigint PRIMARY KEY)");
        await CreateTableAsync("rows_enabled");

        using var response = await Server.Http.GetAsync(path);

        Assert.Equal(status, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_live_table_refreshes_over_http_while_websockets_are_blocked_and_streams_again_after()
    {
        var table = await VersionedTable.CreateAsync(Database, "rows_fallback", preload: 3);
        await using var proxy = new TcpProxy(() => Server.HttpBase.Port) { Refusing = true };
        await using var client = SdkClients.Create(proxy.WebSocketUrl, options =>
        {
            options.HttpBaseAddress = Server.HttpBase;
            options.FallbackAfter = TimeSpan.FromMilliseconds(200);
            options.FallbackPollInterval = TimeSpan.FromMilliseconds(100);
            // WebSockets are refused: the start must not wait for one.
            options.StartInBackground = true;
        });
        var live = client.LiveTable<long, VersionedRow>("public", table.Name, row => row.Id, filter: "id=lt.1000");
        await client.StartAsync();

        await live.WaitUntilSyncedAsync().WaitAsync(SdkClients.Patience);
        Assert.Equal(LiveTableMode.Fallback, live.Mode);
        Assert.Equal([1L, 2L, 3L], live.Keys.Order());
        await table.InsertAsync(4);
        await table.InsertAsync(5000); // outside the filter
        await SdkClients.EventuallyAsync(() => live.ContainsKey(4), () => "a row written during fallback, by polling");
        Assert.False(live.ContainsKey(5000));

        proxy.Refusing = false;
        await SdkClients.EventuallyAsync(() => live.Mode == LiveTableMode.Streaming, () => "streaming again");
        await table.TransactionAsync($"UPDATE public.{table.Name} SET version = 7 WHERE id = 1; INSERT INTO public.{table.Name} VALUES (6, 0, 'x')");
        await SdkClients.EventuallyAsync(() => live.ContainsKey(6), () => "a streamed transaction");
        Assert.Equal(7, live[1].Version);
        Assert.Equal([1L, 2L, 3L, 4L, 6L], live.Keys.Order());
        Assert.NotNull(live.Offset);
    }
}
