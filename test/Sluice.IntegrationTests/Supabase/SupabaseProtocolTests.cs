using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>The Supabase Realtime (Phoenix) protocol over a raw WebSocket, for vsn 1.0.0 and 2.0.0.</summary>
public sealed class SupabaseProtocolTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private static JsonObject Config(params JsonObject[] bindings) => new()
    {
        ["config"] = new JsonObject
        {
            ["broadcast"] = new JsonObject { ["self"] = false, ["ack"] = false },
            ["presence"] = new JsonObject { ["key"] = "", ["enabled"] = false },
            ["postgres_changes"] = new JsonArray([.. bindings]),
            ["private"] = false,
        },
    };

    private static JsonObject Binding(string eventName, string table, string? filter = null)
    {
        var binding = new JsonObject { ["event"] = eventName, ["schema"] = "public", ["table"] = table };
        if (filter is not null)
            binding["filter"] = filter;
        return binding;
    }

    [Theory]
    [InlineData("1.0.0", "/realtime/v1/websocket")]
    [InlineData("2.0.0", "/realtime/v1/websocket")]
    [InlineData("2.0.0", "/socket/websocket")]
    public async Task Heartbeat_is_answered_with_an_ok_reply_echoing_its_ref(string vsn, string path)
    {
        var client = await ConnectPhoenixAsync(vsn, path);
        var reference = await client.PushAsync("phoenix", "heartbeat", null, joinRef: null);
        var reply = await client.NextAsync();
        Assert.Equal("phx_reply", reply.Event);
        Assert.Equal("phoenix", reply.Topic);
        Assert.Equal(reference, reply.Ref);
        Assert.Null(reply.JoinRef);
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Object, reply.Payload.GetProperty("response").ValueKind);
    }

    /// <summary>
    /// A lone UTF-16 surrogate escape in the topic, the event or a payload string is not valid Unicode: the push gets a
    /// <c>phx_reply</c> error <c>invalid_json</c> echoing its ref and topic exactly as sent, and the socket stays usable.
    /// </summary>
    [Theory]
    [InlineData("1.0.0", "realtime:\\ud800", "phx_join", "{}")]
    [InlineData("2.0.0", "realtime:\\ud800", "phx_join", "{}")]
    [InlineData("2.0.0", "realtime:room", "\\udc00", "{}")]
    [InlineData("1.0.0", "realtime:room", "phx_join", "{\"config\":{\"\\ud83d\":1}}")]
    public async Task A_lone_surrogate_escape_gets_an_invalid_json_reply_and_the_socket_stays(string vsn, string topic, string eventName, string payload)
    {
        var client = await ConnectPhoenixAsync(vsn);
        var text = client.IsV2
            ? $"[\"1\",\"7\",\"{topic}\",\"{eventName}\",{payload}]"
            : $"{{\"topic\":\"{topic}\",\"event\":\"{eventName}\",\"payload\":{payload},\"ref\":\"7\"}}";
        await client.SendTextAsync(text);
        var reply = await client.NextAsync(f => f.Ref == "7");
        Assert.Equal("phx_reply", reply.Event);
        Assert.Equal(topic.Contains("\\u", StringComparison.Ordinal) ? "\"" + topic + "\"" : topic, reply.Topic);
        Assert.Equal("error", reply.Payload.GetProperty("status").GetString());
        Assert.StartsWith("invalid_json", reply.Payload.GetProperty("response").GetProperty("reason").GetString(), StringComparison.Ordinal);
        await client.RoundTripAsync();
    }

    /// <summary>A binary push of kind 0 (Phoenix's binary payload push) is not supported: an error reply, as for an unknown event.</summary>
    [Fact]
    public async Task A_binary_kind_0_push_gets_an_error_reply()
    {
        var client = await ConnectPhoenixAsync("2.0.0");
        var (joinRef, joined) = await client.JoinAsync("realtime:room", Config());
        Assert.Equal("ok", joined.Payload.GetProperty("status").GetString());
        byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s);
        var frame = new List<byte> { 0, (byte)joinRef.Length, 2, (byte)"realtime:room".Length, (byte)"custom".Length };
        frame.AddRange(Utf8(joinRef));
        frame.AddRange(Utf8("99"));
        frame.AddRange(Utf8("realtime:room"));
        frame.AddRange(Utf8("custom"));
        frame.AddRange(new byte[] { 1, 2, 3 });
        await client.SendBinaryAsync([.. frame]);
        var reply = await client.NextAsync(f => f.Ref == "99");
        Assert.Equal("phx_reply", reply.Event);
        Assert.Equal("realtime:room", reply.Topic);
        Assert.Equal("error", reply.Payload.GetProperty("status").GetString());
        await client.RoundTripAsync();
    }

    [Fact]
    public async Task Upgrade_without_apikey_is_refused_with_401()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() =>
            socket.ConnectAsync(new Uri($"ws://{Server.HttpBase.Authority}/realtime/v1/websocket?vsn=1.0.0"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Join_echoes_bindings_with_ids_then_delivers_matching_changes_with_their_ids(string vsn)
    {
        await CreateTableAsync("todos", "id bigint PRIMARY KEY, title text, done boolean");
        await Database.ExecuteAsync("ALTER TABLE public.todos REPLICA IDENTITY FULL");
        var client = await ConnectPhoenixAsync(vsn);

        var (joinRef, reply) = await client.JoinAsync("realtime:room1", Config(Binding("*", "todos"), Binding("INSERT", "todos", "id=eq.1")));
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        Assert.Equal(client.IsV2 ? joinRef : null, reply.JoinRef);
        var echoed = reply.Payload.GetProperty("response").GetProperty("postgres_changes").EnumerateArray().ToArray();
        Assert.Equal(2, echoed.Length);
        Assert.Equal(["event", "schema", "table", "id", "offset"], echoed[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(["event", "schema", "table", "filter", "id", "offset"], echoed[1].EnumerateObject().Select(p => p.Name));
        Assert.Equal("*", echoed[0].GetProperty("event").GetString());
        Assert.Equal("id=eq.1", echoed[1].GetProperty("filter").GetString());
        var allId = echoed[0].GetProperty("id").GetInt32();
        var filteredId = echoed[1].GetProperty("id").GetInt32();
        Assert.NotEqual(0, allId);
        Assert.NotEqual(allId, filteredId);

        var system = await client.NextEventAsync("system");
        Assert.Equal("Subscribed to PostgreSQL", system.Payload.GetProperty("message").GetString());
        Assert.Equal("postgres_changes", system.Payload.GetProperty("extension").GetString());
        Assert.Equal("ok", system.Payload.GetProperty("status").GetString());
        Assert.Equal("room1", system.Payload.GetProperty("channel").GetString());

        // The subscription is live when the reply comes: no premature SUBSCRIBED.
        await Database.ExecuteAsync("INSERT INTO public.todos VALUES (2, 'b', false)");
        var insert = await client.NextEventAsync("postgres_changes");
        Assert.Null(insert.Ref);
        Assert.Null(insert.JoinRef);
        Assert.Equal("realtime:room1", insert.Topic);
        Assert.Equal([allId], insert.Payload.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));
        var data = insert.Payload.GetProperty("data");
        Assert.Equal("INSERT", data.GetProperty("type").GetString());
        Assert.Equal("public", data.GetProperty("schema").GetString());
        Assert.Equal("todos", data.GetProperty("table").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", data.GetProperty("commit_timestamp").GetString());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("errors").ValueKind);
        Assert.Equal(["id:int8", "title:text", "done:bool"],
            data.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString() + ":" + c.GetProperty("type").GetString()));
        Assert.Equal(2, data.GetProperty("record").GetProperty("id").GetInt64());
        Assert.Equal("b", data.GetProperty("record").GetProperty("title").GetString());
        Assert.False(data.GetProperty("record").GetProperty("done").GetBoolean());
        Assert.False(data.TryGetProperty("old_record", out _));

        // Both bindings match id 1: each binding's id is delivered (once).
        await Database.ExecuteAsync("INSERT INTO public.todos VALUES (1, 'a', false)");
        var ids = new List<int>();
        while (ids.Count < 2)
        {
            var change = await client.NextEventAsync("postgres_changes");
            Assert.Equal(1, change.Payload.GetProperty("data").GetProperty("record").GetProperty("id").GetInt64());
            ids.AddRange(change.Payload.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));
        }
        Assert.Equal(new[] { allId, filteredId }.Order(), ids.Order());

        await Database.ExecuteAsync("UPDATE public.todos SET done = true WHERE id = 2");
        var update = (await client.NextEventAsync("postgres_changes")).Payload;
        Assert.Equal([allId], update.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal("UPDATE", update.GetProperty("data").GetProperty("type").GetString());
        Assert.True(update.GetProperty("data").GetProperty("record").GetProperty("done").GetBoolean());
        Assert.False(update.GetProperty("data").GetProperty("old_record").GetProperty("done").GetBoolean());

        await Database.ExecuteAsync("DELETE FROM public.todos WHERE id = 2");
        var delete = (await client.NextEventAsync("postgres_changes")).Payload.GetProperty("data");
        Assert.Equal("DELETE", delete.GetProperty("type").GetString());
        Assert.False(delete.TryGetProperty("record", out _));
        Assert.Equal(2, delete.GetProperty("old_record").GetProperty("id").GetInt64());
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Event_and_filter_operators_narrow_what_a_binding_receives(string vsn)
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, price int");
        var client = await ConnectPhoenixAsync(vsn);
        var (_, reply) = await client.JoinAsync("realtime:filters", Config(
            Binding("UPDATE", "items"), Binding("INSERT", "items", "price=gt.10"), Binding("INSERT", "items", "id=in.(7,8)")));
        var ids = reply.Payload.GetProperty("response").GetProperty("postgres_changes").EnumerateArray().Select(b => b.GetProperty("id").GetInt32()).ToArray();

        await Database.ExecuteAsync("INSERT INTO public.items VALUES (1, 5)");
        await Database.ExecuteAsync("INSERT INTO public.items VALUES (2, 50)");
        var change = await client.NextEventAsync("postgres_changes");
        Assert.Equal([ids[1]], change.Payload.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal(2, change.Payload.GetProperty("data").GetProperty("record").GetProperty("id").GetInt64());

        await Database.ExecuteAsync("INSERT INTO public.items VALUES (8, 1)");
        change = await client.NextEventAsync("postgres_changes");
        Assert.Equal([ids[2]], change.Payload.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));

        await Database.ExecuteAsync("UPDATE public.items SET price = 6 WHERE id = 1");
        change = await client.NextEventAsync("postgres_changes");
        Assert.Equal([ids[0]], change.Payload.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal("UPDATE", change.Payload.GetProperty("data").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Leave_replies_ok_then_closes_with_the_join_ref_and_stops_delivery(string vsn)
    {
        await CreateTableAsync("notes", "id bigint PRIMARY KEY");
        var client = await ConnectPhoenixAsync(vsn);
        var (joinRef, _) = await client.JoinAsync("realtime:n", Config(Binding("*", "notes")));
        var leaveRef = await client.PushAsync("realtime:n", "phx_leave", null, joinRef);
        var reply = await client.NextAsync(f => f.Event == "phx_reply" && f.Ref == leaveRef);
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        var close = await client.NextEventAsync("phx_close");
        Assert.Equal(joinRef, close.Ref);
        Assert.Equal(client.IsV2 ? joinRef : null, close.JoinRef);

        await Database.ExecuteAsync("INSERT INTO public.notes VALUES (1)");
        // A marker after the insert: had the change been delivered, it would come first.
        await Database.ExecuteAsync("SELECT pg_sleep(0.2)");
        var marker = await client.PushAsync("phoenix", "heartbeat", null, null);
        var next = await client.NextAsync(f => f.Event != "system" && f.Event != "presence_state");
        Assert.Equal(marker, next.Ref);
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Unjoined_topic_and_bad_binding_get_error_replies(string vsn)
    {
        var client = await ConnectPhoenixAsync(vsn);
        var reference = await client.PushAsync("realtime:nowhere", "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = "x", ["payload"] = new JsonObject() }, "9");
        var reply = await client.NextAsync(f => f.Ref == reference);
        Assert.Equal("error", reply.Payload.GetProperty("status").GetString());
        Assert.Equal("unmatched topic", reply.Payload.GetProperty("response").GetProperty("reason").GetString());

        var (_, join) = await client.JoinAsync("realtime:bad", Config(Binding("*", "no_such_table")));
        Assert.Equal("error", join.Payload.GetProperty("status").GetString());
        Assert.Contains("does not exist", join.Payload.GetProperty("response").GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Presence_state_follows_a_join_unless_presence_is_disabled(string vsn)
    {
        var client = await ConnectPhoenixAsync(vsn);
        var joinRef = client.NextRef();
        await client.PushAsync("realtime:p", "phx_join", new JsonObject { ["config"] = new JsonObject() }, joinRef, joinRef);
        var reply = await client.NextAsync();
        Assert.Equal("phx_reply", reply.Event);
        Assert.Equal(0, reply.Payload.GetProperty("response").GetProperty("postgres_changes").GetArrayLength());
        var state = await client.NextAsync();
        Assert.Equal("presence_state", state.Event);
        Assert.Equal(client.IsV2 ? joinRef : null, state.JoinRef);
        Assert.Equal(JsonValueKind.Object, state.Payload.ValueKind);
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_row_change_reaches_native_and_supabase_subscribers(string vsn)
    {
        await CreateTableAsync("shared", "id bigint PRIMARY KEY, name text");
        var phoenix = await ConnectPhoenixAsync(vsn);
        await phoenix.JoinAsync("realtime:s", Config(Binding("INSERT", "shared")));
        var native = await ConnectAsync();
        await native.SubscribeAsync("table:public.shared");

        await Database.ExecuteAsync("INSERT INTO public.shared VALUES (7, 'both')");
        var atNative = await native.NextChangeAsync();
        Assert.Equal("both", atNative.GetProperty("payload").GetProperty("record").GetProperty("name").GetString());
        var atPhoenix = await phoenix.NextEventAsync("postgres_changes");
        Assert.Equal("both", atPhoenix.Payload.GetProperty("data").GetProperty("record").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Connections_with_the_same_binding_receive_the_same_bytes(string vsn)
    {
        await CreateTableAsync("fanout", "id bigint PRIMARY KEY");
        var first = await ConnectPhoenixAsync(vsn);
        var second = await ConnectPhoenixAsync(vsn);
        var (_, a) = await first.JoinAsync("realtime:f", Config(Binding("*", "fanout")));
        var (_, b) = await second.JoinAsync("realtime:f", Config(Binding("*", "fanout")));
        // Same topic and binding: same id, one router channel, one serialization.
        Assert.Equal(
            a.Payload.GetProperty("response").GetProperty("postgres_changes")[0].GetProperty("id").GetInt32(),
            b.Payload.GetProperty("response").GetProperty("postgres_changes")[0].GetProperty("id").GetInt32());
        await Database.ExecuteAsync("INSERT INTO public.fanout VALUES (1)");
        var one = await first.NextEventAsync("postgres_changes");
        var two = await second.NextEventAsync("postgres_changes");
        Assert.Equal(one.Payload.GetRawText(), two.Payload.GetRawText());
        // Two router channels for both connections: the binding's, and the topic's database broadcasts.
        Assert.Equal(2, (await Server.StatsAsync()).GetProperty("channels").GetInt32());
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_binding_without_table_covers_the_schemas_realtime_tables(string vsn)
    {
        await CreateTableAsync("first_table", "id bigint PRIMARY KEY");
        await CreateTableAsync("second_table", "id bigint PRIMARY KEY");
        var client = await ConnectPhoenixAsync(vsn);
        var schemaWide = new JsonObject { ["event"] = "INSERT", ["schema"] = "public" };
        var (_, reply) = await client.JoinAsync("realtime:all", Config(schemaWide));
        var echoed = reply.Payload.GetProperty("response").GetProperty("postgres_changes")[0];
        Assert.Equal(["event", "schema", "id", "offset"], echoed.EnumerateObject().Select(p => p.Name));

        await Database.ExecuteAsync("INSERT INTO public.first_table VALUES (1)");
        await Database.ExecuteAsync("INSERT INTO public.second_table VALUES (2)");
        var first = await client.NextEventAsync("postgres_changes");
        var second = await client.NextEventAsync("postgres_changes");
        Assert.Equal("first_table", first.Payload.GetProperty("data").GetProperty("table").GetString());
        Assert.Equal("second_table", second.Payload.GetProperty("data").GetProperty("table").GetString());
        Assert.Equal(echoed.GetProperty("id").GetInt32(), second.Payload.GetProperty("ids")[0].GetInt32());
    }
}
