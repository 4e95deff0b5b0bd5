using Sluice.IntegrationTests.Client;
using Sluice.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.JavaScript;

/// <summary>
/// <c>@sluice/client</c> (the TypeScript SDK, built from clients/js) on Node 20 with <c>ws</c>, against this server and its
/// PostgreSQL: types of every change, rooms and presence between two clients with a resume after a cut, and the HTTP
/// fallback while the WebSocket endpoint is unreachable. The scripts are in clients/js/test/integration.
/// </summary>
public sealed class JsClientTests(PostgresFixture postgres, ITestOutputHelper output) : ServerTest(postgres)
{
    // Frames larger than a room's largest payload (64 KiB), so a too-large broadcast is refused with payload_too_large.
    protected override string[] ServerArgs => ["--max-message-bytes", "262144"];

    [Fact]
    public async Task Insert_update_and_delete_arrive_with_their_types_intact()
    {
        await CreateTableAsync("typed", """
            id bigint PRIMARY KEY, small int, big bigint, price numeric(10,2), ratio double precision, ok boolean, name text,
            tags text[], details jsonb, at timestamptz, local timestamp, day date, uid uuid, nothing text, nan double precision
            """);
        const string Insert = """
            INSERT INTO public.typed VALUES ($1, 7, 9007199254740991, 12.50, 0.25, true, 'Lamp "desk"', '{home,light}',
              '{"watts": 60, "dimmable": true, "colors": ["warm", "cold"], "nested": {"a": null}}', '2024-05-06 07:08:09.123456+02',
              '2024-05-06 05:08:09', '2024-05-06', '6f1c2a8e-5b0e-4c1e-9a64-0a5f0b3c9d11', NULL, 'NaN')
            """;
        var (code, text) = await JsClientScripts.RunAsync("types.mjs", Server.HttpBase, onLine: async line =>
        {
            switch (line)
            {
                case "CHANGE":
                    await Database.ExecuteAsync(Insert, 1L);
                    await Database.ExecuteAsync("""UPDATE public.typed SET price = 99.99, ok = false, tags = '{}', details = '[1, "two", {"three": 3}]', nothing = 'now set' WHERE id = 1""");
                    await Database.ExecuteAsync("DELETE FROM public.typed WHERE id = 1");
                    return "CHANGED";
                case "INSERT_AGAIN":
                    await Database.ExecuteAsync(Insert, 2L);
                    return "INSERTED";
                default:
                    return null;
            }
        });
        output.WriteLine(text);
        Assert.True(code == 0, "types.mjs failed:\n" + text);
        Assert.Contains("ok - INSERT, UPDATE and DELETE arrive with their types intact", text);
        Assert.Contains("ok - a live table follows the same changes", text);
    }

    [Fact]
    public async Task Two_clients_share_a_room_with_presence_and_a_cut_client_resumes_with_since()
    {
        await using var proxy = new TcpProxy(() => Server.HttpBase.Port);
        var (code, text) = await JsClientScripts.RunAsync("rooms.mjs", Server.HttpBase,
            new Dictionary<string, string> { ["SLUICE_WS_PROXIED"] = proxy.WebSocketUrl.ToString() },
            line =>
            {
                switch (line)
                {
                    case "CUT":
                        proxy.Refusing = true;
                        proxy.CutAll();
                        return Task.FromResult<string?>("CUT_DONE");
                    case "RESTORE":
                        proxy.Refusing = false;
                        return Task.FromResult<string?>("RESTORED");
                    default:
                        return Task.FromResult<string?>(null);
                }
            });
        output.WriteLine(text);
        Assert.True(code == 0, "rooms.mjs failed:\n" + text);
        Assert.Contains("ok - presence of both clients", text);
        Assert.Contains("ok - broadcast with ack and self, refusals with their code", text);
        Assert.Contains("ok - a room resumes with since after a cut: nothing missed, nothing repeated, presence tracked again", text);
        Assert.Contains("ok - leaving the room ends the presence", text);
    }

    [Fact]
    public async Task A_live_table_polls_over_http_while_the_websocket_is_unreachable_then_streams_again()
    {
        await CreateTableAsync("fallback", "id bigint PRIMARY KEY, name text");
        await Database.ExecuteAsync("INSERT INTO public.fallback SELECT g, 'row ' || g FROM generate_series(1, 3) g");
        await using var proxy = new TcpProxy(() => Server.HttpBase.Port) { Refusing = true };
        var (code, text) = await JsClientScripts.RunAsync("fallback.mjs", Server.HttpBase,
            new Dictionary<string, string> { ["SLUICE_WS_PROXIED"] = proxy.WebSocketUrl.ToString() },
            async line =>
            {
                if (line.StartsWith("INSERT ", StringComparison.Ordinal))
                {
                    await Database.ExecuteAsync("INSERT INTO public.fallback VALUES ($1, 'added')", long.Parse(line[7..], System.Globalization.CultureInfo.InvariantCulture));
                    return "INSERTED";
                }
                if (line == "OPEN")
                {
                    proxy.Refusing = false;
                    return "OPENED";
                }
                return null;
            });
        output.WriteLine(text);
        Assert.True(code == 0, "fallback.mjs failed:\n" + text);
        Assert.Contains("ok - no WebSocket: the rows come over HTTP", text);
        Assert.Contains("ok - polling follows an insert", text);
        Assert.Contains("ok - back to streaming once the WebSocket is reachable", text);
    }
}
