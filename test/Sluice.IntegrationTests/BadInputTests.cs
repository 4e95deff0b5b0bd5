using System.Net;
using System.Net.WebSockets;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests;

public sealed class BadInputTests(PostgresFixture postgres) : ServerTest(postgres)
{
    protected override string[] ServerArgs => ["--max-message-bytes", "4096"];

    public static TheoryData<string, string> BadFrames => new()
    {
        { "{not json", "invalid_json" },
        { "[1, 2, 3]", "invalid_json" },
        { "\"subscribe\"", "invalid_json" },
        { "{\"type\":\"subscribe\"} trailing", "invalid_json" },
        { "{\"type\":\"\\ud800\"}", "invalid_json" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.\\udfff\"}", "invalid_json" },
        { "{\"type\":\"subscribe\",\"channel\":\"room:\\ud83d\"}", "invalid_json" },
        { "{\"type\":\"broadcast\",\"channel\":\"room:lobby\",\"event\":\"e\",\"payload\":{\"\\udc00\":1}}", "invalid_json" },
        { "{\"channel\":\"table:public.products\"}", "missing_field" },
        { "{\"type\":\"subscribe\"}", "missing_field" },
        { "{\"type\":\"unsubscribe\"}", "missing_field" },
        { "{\"type\":42}", "invalid_field" },
        { "{\"type\":\"subscribe\",\"channel\":7}", "invalid_field" },
        { "{\"type\":\"teleport\",\"channel\":\"table:public.products\"}", "unknown_type" },
        { "{\"type\":\"subscribe\",\"channel\":\"lobby\"}", "invalid_channel" },
        { "{\"type\":\"subscribe\",\"channel\":\"room:has space\"}", "invalid_channel" },
        { "{\"type\":\"broadcast\",\"channel\":\"table:public.products\",\"event\":\"e\",\"payload\":1}", "invalid_channel" },
        { "{\"type\":\"broadcast\",\"channel\":\"room:lobby\",\"event\":\"e\",\"payload\":1}", "not_subscribed" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:products\"}", "invalid_channel" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.\"}", "invalid_channel" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.\\\"unterminated\"}", "invalid_channel" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.a\\u0000b\"}", "invalid_channel" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.nope\"}", "table_not_found" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.products'; DROP TABLE products; --\"}", "table_not_found" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:\\\"public\\\".\\\"products\\\"\\\";--\\\"\"}", "table_not_found" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:\\\"public\\\".\\\"products\\\";--\\\"\"}", "invalid_channel" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:nope.products\"}", "table_not_found" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.private_table\"}", "realtime_not_enabled" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.products\",\"filter\":\"id=eq.abc\"}", "invalid_filter" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.products\",\"filter\":\"nope=eq.1\"}", "invalid_filter" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.products\",\"filter\":\"id=like.1\"}", "invalid_filter" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.products\",\"filter\":\"garbage\"}", "invalid_filter" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.products\",\"events\":[\"UPSERT\"]}", "invalid_events" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.products\",\"events\":\"INSERT\"}", "invalid_events" },
        { "{\"type\":\"subscribe\",\"channel\":\"table:public.products\",\"events\":[]}", "invalid_events" },
        { "{\"type\":\"unsubscribe\",\"channel\":\"table:public.products\"}", "not_subscribed" },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task Bad_frames_get_an_error_with_a_stable_code_and_the_connection_stays_usable(string frame, string code)
    {
        await CreateTableAsync("products");
        await Database.ExecuteAsync("CREATE TABLE public.private_table (id int PRIMARY KEY)");
        var client = await ConnectAsync();

        await client.SendTextAsync(frame);
        var error = await client.NextAsync();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));

        await client.SubscribeAsync("table:public.products");
        await Database.ExecuteAsync("INSERT INTO products VALUES (1, 'still works', 1)");
        Assert.Equal("still works", (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("name").GetString());
        Assert.True(await Database.ScalarAsync<bool>("SELECT to_regclass('public.products') IS NOT NULL"));
    }

    [Fact]
    public async Task A_very_long_channel_name_is_rejected()
    {
        var client = await ConnectAsync();
        await client.SendAsync(new { type = "subscribe", channel = "table:public." + new string('x', 2000) });
        Assert.Equal("invalid_channel", (await client.NextAsync()).GetProperty("code").GetString());
        await client.SendAsync(new { type = "subscribe", channel = "table:public." + new string('x', 64) });
        Assert.Equal("invalid_channel", (await client.NextAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_binary_frame_is_refused_without_closing()
    {
        await CreateTableAsync("products");
        var client = await ConnectAsync();
        await client.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal("unsupported_frame", (await client.NextAsync()).GetProperty("code").GetString());
        await client.SubscribeAsync("table:public.products");
    }

    [Fact]
    public async Task An_oversized_frame_gets_an_error_and_close_1009()
    {
        var client = await ConnectAsync();
        await client.SendTextAsync("{\"type\":\"subscribe\",\"channel\":\"" + new string('x', 10_000) + "\"}");
        var error = await client.NextAsync();
        Assert.Equal("message_too_large", error.GetProperty("code").GetString());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task A_plain_http_request_to_the_websocket_endpoint_gets_400()
    {
        using var response = await Server.Http.GetAsync("/realtime");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("websocket_required", await response.Content.ReadAsStringAsync());
    }
}
