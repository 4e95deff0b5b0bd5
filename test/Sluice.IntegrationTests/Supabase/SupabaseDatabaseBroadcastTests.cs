using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Auth;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// Supabase's Broadcast from Database: committed rows of <c>realtime.messages</c> (<c>realtime.send</c>,
/// <c>realtime.broadcast_changes</c> in a trigger) reach the channels of their topic and privacy as Supabase's
/// <c>broadcast</c> messages (vsn 1.0.0 JSON, vsn 2.0.0 binary kind 4) with <c>meta.id</c>, plus Sluice's
/// <c>meta.offset</c>, which <c>config.broadcast.since</c> resumes after. Private channels are admitted by the private-room
/// rules (<c>topic:*</c> here, for any signed-in user).
/// </summary>
public sealed class SupabaseDatabaseBroadcastTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    protected override string[] MoreServerArgs => ["--Sluice:Rooms:Private:0:Pattern", "topic:*"];

    private async Task<PhoenixTestClient> ConnectAsync(string vsn)
    {
        var token = Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "user-1" });
        return Track(await PhoenixTestClient.ConnectAsync(Server, vsn, token));
    }

    internal static JsonObject Join(bool isPrivate = false, string? since = null)
    {
        var broadcast = new JsonObject { ["self"] = false, ["ack"] = false };
        if (since is not null)
            broadcast["since"] = since;
        return new JsonObject
        {
            ["config"] = new JsonObject
            {
                ["broadcast"] = broadcast,
                ["presence"] = new JsonObject { ["enabled"] = false },
                ["postgres_changes"] = new JsonArray(),
                ["private"] = isPrivate,
            },
        };
    }

    /// <summary>Joins and returns the reply's <c>broadcast.offset</c> (where the channel's database broadcasts start).</summary>
    internal static async Task<string> JoinAsync(PhoenixTestClient client, string topic, bool isPrivate = false, string? since = null)
    {
        var (_, reply) = await client.JoinAsync(topic, Join(isPrivate, since));
        Assert.True(reply.Payload.GetProperty("status").GetString() == "ok", $"join refused: {reply}");
        return reply.Payload.GetProperty("response").GetProperty("broadcast").GetProperty("offset").GetString()!;
    }

    private Task SendAsync(string eventName, string topic, bool isPrivate, string payload = """{"x":1}""") =>
        Database.ExecuteAsync("SELECT realtime.send($1::jsonb, $2, $3, $4)", payload, eventName, topic, isPrivate);

    /// <summary>The events of the next database broadcasts on <paramref name="client"/>, up to and including <paramref name="last"/>.</summary>
    internal static async Task<List<PhoenixFrame>> BroadcastsUntilAsync(PhoenixTestClient client, string last)
    {
        var frames = new List<PhoenixFrame>();
        while (true)
        {
            var frame = await client.NextEventAsync("broadcast");
            frames.Add(frame);
            if (frame.Payload.GetProperty("event").GetString() == last)
                return frames;
        }
    }

    private static List<string> Events(List<PhoenixFrame> frames) => [.. frames.Select(f => f.Payload.GetProperty("event").GetString()!)];

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Realtime_send_reaches_a_public_channel_as_Supabase_sends_it(string vsn)
    {
        var client = await ConnectAsync(vsn);
        var start = await JoinAsync(client, "realtime:room1");

        await Database.ExecuteAsync("""SELECT realtime.send('{"x":1}'::jsonb, 'ev', 'room1', false)""");
        var frame = await client.NextEventAsync("broadcast");
        var rowId = (await Database.ScalarAsync<Guid>("SELECT id FROM realtime.messages WHERE topic = 'room1'")).ToString();

        Assert.Equal(client.IsV2, frame.Binary); // vsn 2.0.0: the binary kind-4 user broadcast
        Assert.Equal("realtime:room1", frame.Topic);
        Assert.Null(frame.Ref);
        Assert.Null(frame.JoinRef);
        var payload = frame.Payload;
        Assert.Equal(["type", "event", "payload", "meta"], payload.EnumerateObject().Select(p => p.Name));
        Assert.Equal("broadcast", payload.GetProperty("type").GetString());
        Assert.Equal("ev", payload.GetProperty("event").GetString());
        // The stored payload, with the id realtime.send adds (the row's id).
        Assert.Equal(1, payload.GetProperty("payload").GetProperty("x").GetInt32());
        Assert.Equal(rowId, payload.GetProperty("payload").GetProperty("id").GetString());
        Assert.Equal(rowId, payload.GetProperty("meta").GetProperty("id").GetString());
        var offset = payload.GetProperty("meta").GetProperty("offset").GetString()!;
        Assert.True(string.CompareOrdinal(start, offset) < 0, $"{start} < {offset}");
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_row_reaches_only_channels_of_its_topic_and_privacy(string vsn)
    {
        var publicOne = await ConnectAsync(vsn);
        var privateOne = await ConnectAsync(vsn);
        var otherTopic = await ConnectAsync(vsn);
        await JoinAsync(publicOne, "realtime:topic:1");
        await JoinAsync(privateOne, "realtime:topic:1", isPrivate: true);
        await JoinAsync(otherTopic, "realtime:topic:2");

        await SendAsync("public", "topic:1", isPrivate: false);
        await SendAsync("private", "topic:1", isPrivate: true);
        await SendAsync("other", "topic:2", isPrivate: false);
        await SendAsync("prefix", "topic:10", isPrivate: false);
        await Database.ExecuteAsync("""INSERT INTO realtime.messages (topic, extension, payload, event, private) VALUES ('topic:1', 'presence', '{}', 'presence', false)""");
        await SendAsync("end", "topic:1", isPrivate: false);
        await SendAsync("end", "topic:1", isPrivate: true);
        await SendAsync("end", "topic:2", isPrivate: false);

        Assert.Equal(["public", "end"], Events(await BroadcastsUntilAsync(publicOne, "end")));
        Assert.Equal(["private", "end"], Events(await BroadcastsUntilAsync(privateOne, "end")));
        Assert.Equal(["other", "end"], Events(await BroadcastsUntilAsync(otherTopic, "end")));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Sends_of_one_transaction_arrive_in_order_and_a_rolled_back_send_never_arrives(string vsn)
    {
        var client = await ConnectAsync(vsn);
        await JoinAsync(client, "realtime:room1");

        await using (var connection = await Database.OpenAsync())
        {
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await using var command = new Npgsql.NpgsqlCommand("""SELECT realtime.send('{"n":1}', 'first', 'room1', false); SELECT realtime.send('{"n":2}', 'second', 'room1', false)""", connection, transaction);
                await command.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
            }
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await using var command = new Npgsql.NpgsqlCommand("""SELECT realtime.send('{"n":3}', 'rolled-back', 'room1', false)""", connection, transaction);
                await command.ExecuteNonQueryAsync();
                await transaction.RollbackAsync();
            }
        }
        await SendAsync("end", "room1", isPrivate: false);

        Assert.Equal(["first", "second", "end"], Events(await BroadcastsUntilAsync(client, "end")));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_trigger_with_broadcast_changes_reaches_a_private_channel(string vsn)
    {
        await Database.ExecuteAsync("CREATE TABLE public.todos (id bigint PRIMARY KEY, title text)");
        // As Supabase documents it (the topic from NEW or OLD, so DELETE has one too).
        await Database.ExecuteAsync("""
            CREATE OR REPLACE FUNCTION public.todos_changes() RETURNS trigger SECURITY DEFINER LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM realtime.broadcast_changes('topic:' || COALESCE(NEW.id, OLD.id)::text, TG_OP, TG_OP,
                                                 TG_TABLE_NAME, TG_TABLE_SCHEMA, NEW, OLD);
              RETURN NULL;
            END $$
            """);
        await Database.ExecuteAsync("""
            CREATE TRIGGER todos_broadcast AFTER INSERT OR UPDATE OR DELETE ON public.todos
              FOR EACH ROW EXECUTE FUNCTION public.todos_changes()
            """);
        var privateChannel = await ConnectAsync(vsn);
        var publicChannel = await ConnectAsync(vsn);
        await JoinAsync(privateChannel, "realtime:topic:1", isPrivate: true);
        await JoinAsync(publicChannel, "realtime:topic:1");

        await Database.ExecuteAsync("INSERT INTO public.todos VALUES (1, 'write')");
        await Database.ExecuteAsync("UPDATE public.todos SET title = 'write more' WHERE id = 1");
        await Database.ExecuteAsync("DELETE FROM public.todos WHERE id = 1");

        var frames = await BroadcastsUntilAsync(privateChannel, "DELETE");
        Assert.Equal(["INSERT", "UPDATE", "DELETE"], Events(frames));
        var (insert, update, delete) = (frames[0].Payload.GetProperty("payload"), frames[1].Payload.GetProperty("payload"), frames[2].Payload.GetProperty("payload"));
        foreach (var (payload, operation) in new[] { (insert, "INSERT"), (update, "UPDATE"), (delete, "DELETE") })
        {
            // jsonb keeps its keys in its own order; the set is Supabase's.
            Assert.Equal(["id", "old_record", "operation", "record", "schema", "table"], payload.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal(operation, payload.GetProperty("operation").GetString());
            Assert.Equal("todos", payload.GetProperty("table").GetString());
            Assert.Equal("public", payload.GetProperty("schema").GetString());
            Assert.False(string.IsNullOrEmpty(payload.GetProperty("id").GetString()));
        }
        Assert.Equal(JsonValueKind.Null, insert.GetProperty("old_record").ValueKind);
        Assert.Equal("write", insert.GetProperty("record").GetProperty("title").GetString());
        Assert.Equal("write", update.GetProperty("old_record").GetProperty("title").GetString());
        Assert.Equal("write more", update.GetProperty("record").GetProperty("title").GetString());
        Assert.Equal(JsonValueKind.Null, delete.GetProperty("record").ValueKind);
        Assert.Equal(1, delete.GetProperty("old_record").GetProperty("id").GetInt64());

        // broadcast_changes sends private messages: the public channel of the topic gets none of them.
        await SendAsync("end", "topic:1", isPrivate: false);
        Assert.Equal(["end"], Events(await BroadcastsUntilAsync(publicChannel, "end")));
    }

    [Fact]
    public async Task A_message_over_the_payload_limit_is_not_delivered_and_the_channel_is_told()
    {
        var client = await ConnectAsync("1.0.0");
        await JoinAsync(client, "realtime:room1");

        await SendAsync("huge", "room1", isPrivate: false, payload: $$"""{"s":"{{new string('x', 70_000)}}"}""");
        await SendAsync("end", "room1", isPrivate: false);

        Assert.Equal(["end"], Events(await BroadcastsUntilAsync(client, "end")));
        var notice = Assert.Single(await client.RoundTripAsync(), f => f.Event == "system");
        Assert.StartsWith("payload_too_large: ", notice.Payload.GetProperty("message").GetString());
        Assert.Equal("error", notice.Payload.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_join_with_since_gets_exactly_the_messages_sent_after_that_offset_then_live_ones(string vsn)
    {
        var first = await ConnectAsync(vsn);
        var start = await JoinAsync(first, "realtime:room1");
        await SendAsync("one", "room1", isPrivate: false);
        var one = await first.NextEventAsync("broadcast");
        var afterOne = one.Payload.GetProperty("meta").GetProperty("offset").GetString()!;
        await first.DisposeAsync();

        // Sent while the client was away.
        await SendAsync("two", "room1", isPrivate: false);
        await SendAsync("three", "room1", isPrivate: false);

        var resumed = await ConnectAsync(vsn);
        Assert.Equal(afterOne, await JoinAsync(resumed, "realtime:room1", since: afterOne));
        Assert.Equal(["two", "three"], Events(await BroadcastsUntilAsync(resumed, "three")));
        await SendAsync("four", "room1", isPrivate: false);
        Assert.Equal(["four"], Events(await BroadcastsUntilAsync(resumed, "four")));
        Assert.DoesNotContain(await resumed.RoundTripAsync(), f => f.Event == "broadcast");

        // From the first join's offset: every message since that join, once and in order.
        var fromStart = await ConnectAsync(vsn);
        await JoinAsync(fromStart, "realtime:room1", since: start);
        var all = await BroadcastsUntilAsync(fromStart, "four");
        Assert.Equal(["one", "two", "three", "four"], Events(all));
        var offsets = all.Select(f => f.Payload.GetProperty("meta").GetProperty("offset").GetString()!).ToList();
        Assert.Equal(offsets.Order(StringComparer.Ordinal), offsets);
        Assert.Equal(afterOne, offsets[0]);
    }

    [Fact]
    public async Task After_a_restart_a_join_starts_after_what_the_server_re_reads_and_since_gets_what_was_sent_while_it_was_down()
    {
        var client = await ConnectAsync("2.0.0");
        await JoinAsync(client, "realtime:room1");
        await SendAsync("before", "room1", isPrivate: false);
        var before = (await client.NextEventAsync("broadcast")).Payload.GetProperty("meta").GetProperty("offset").GetString()!;
        // The retention window keeps these, so the restarted server re-reads them from the slot, which takes a while.
        await Database.ExecuteAsync("SELECT realtime.send('{}'::jsonb, 'bulk', 'elsewhere', false) FROM generate_series(1, 20000)");
        await Server.DisposeAsync();
        await SendAsync("while-down", "room1", isPrivate: false);
        Server = await ServerHandle.StartAsync(Database, ServerArgs);

        // A join without since starts once that is done: what was sent before it is not new to it.
        var fresh = await ConnectAsync("2.0.0");
        await JoinAsync(fresh, "realtime:room1");
        var resumed = await ConnectAsync("1.0.0");
        await JoinAsync(resumed, "realtime:room1", since: before);
        await SendAsync("after", "room1", isPrivate: false);

        Assert.Equal(["after"], Events(await BroadcastsUntilAsync(fresh, "after")));
        Assert.Equal(["while-down", "after"], Events(await BroadcastsUntilAsync(resumed, "after")));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_since_that_is_not_an_offset_is_refused_and_one_of_another_epoch_goes_live_with_a_notice(string vsn)
    {
        var client = await ConnectAsync(vsn);
        var (_, refused) = await client.JoinAsync("realtime:room1", Join(since: "yesterday"));
        Assert.Equal("error", refused.Payload.GetProperty("status").GetString());
        Assert.StartsWith("InvalidJoinPayload: config.broadcast \"since\" must be an offset issued by Sluice",
            refused.Payload.GetProperty("response").GetProperty("reason").GetString());

        var start = await JoinAsync(client, "realtime:room1");
        var otherEpoch = (start[0] == '0' ? "1" : "0") + start[1..];
        var again = await ConnectAsync(vsn);
        var live = await JoinAsync(again, "realtime:room1", since: otherEpoch);
        var notice = await again.NextAsync(f => f.Event == "system" && f.Payload.TryGetProperty("code", out _));
        Assert.Equal("resync_required", notice.Payload.GetProperty("code").GetString());
        Assert.Equal("broadcast", notice.Payload.GetProperty("extension").GetString());
        Assert.Equal(live, notice.Payload.GetProperty("offset").GetString());
        await SendAsync("live", "room1", isPrivate: false);
        Assert.Equal(["live"], Events(await BroadcastsUntilAsync(again, "live")));
    }
}

/// <summary>A <c>config.broadcast.since</c> older than the retention window (two changes here): live, with <c>resync_required</c>, nothing partial.</summary>
public sealed class SupabaseDatabaseBroadcastRetentionTests(PostgresFixture postgres) : ServerTest(postgres)
{
    protected override string[] ServerArgs => ["--retention-changes", "2"];

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_since_older_than_retention_goes_live_with_a_resync_required_notice(string vsn)
    {
        var client = await ConnectPhoenixAsync(vsn);
        var start = await SupabaseDatabaseBroadcastTests.JoinAsync(client, "realtime:room1");
        for (var i = 1; i <= 4; i++)
            await Database.ExecuteAsync("SELECT realtime.send('{}'::jsonb, $1, 'room1', false)", "m" + i);
        await SupabaseDatabaseBroadcastTests.BroadcastsUntilAsync(client, "m4");

        var resumed = await ConnectPhoenixAsync(vsn);
        await SupabaseDatabaseBroadcastTests.JoinAsync(resumed, "realtime:room1", since: start);
        var notice = await resumed.NextAsync(f => f.Event == "system" && f.Payload.TryGetProperty("code", out _));
        Assert.Equal("resync_required", notice.Payload.GetProperty("code").GetString());
        Assert.Contains("older than the retention window", notice.Payload.GetProperty("message").GetString());
        Assert.DoesNotContain(resumed.Backlog, f => f.Event == "broadcast"); // nothing partial

        await Database.ExecuteAsync("SELECT realtime.send('{}'::jsonb, 'm5', 'room1', false)");
        Assert.Equal("m5", (await resumed.NextEventAsync("broadcast")).Payload.GetProperty("event").GetString());
    }
}

/// <summary>Without <c>realtime.messages</c> a join works as before: no database broadcasts, and nothing else is affected.</summary>
public sealed class SupabaseWithoutRealtimeMessagesTests(PostgresFixture postgres) : ServerTest(postgres)
{
    [Fact]
    public async Task A_join_succeeds_without_database_broadcasts_when_realtime_messages_is_gone()
    {
        await Database.ExecuteAsync("DROP TABLE realtime.messages");
        var a = await ConnectPhoenixAsync("1.0.0");
        var b = await ConnectPhoenixAsync("1.0.0");
        var (aJoin, reply) = await a.JoinAsync("realtime:room1", SupabaseDatabaseBroadcastTests.Join());
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        Assert.False(reply.Payload.GetProperty("response").TryGetProperty("broadcast", out _));
        await b.JoinAsync("realtime:room1", SupabaseDatabaseBroadcastTests.Join());

        // Client broadcasts still work.
        await a.PushAsync("realtime:room1", "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = "hi", ["payload"] = new JsonObject() }, aJoin);
        Assert.Equal("hi", (await b.NextEventAsync("broadcast")).Payload.GetProperty("event").GetString());
    }
}

/// <summary>
/// A server process killed (kill -9) and started again: a join with <c>config.broadcast.since</c> gets the messages sent
/// after that offset — also those sent while the server was down — once and in order, then live ones.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class SupabaseDatabaseBroadcastKillTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Messages_sent_while_the_server_was_killed_arrive_after_a_join_with_since_once_and_in_order()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var server = await ServerProcess.StartAsync(database);
        Task SendAsync(string eventName) => database.ExecuteAsync("SELECT realtime.send('{}'::jsonb, $1, 'room1', false)", eventName);

        string afterOne;
        await using (var client = await PhoenixTestClient.ConnectAsync(server.HttpBase, "2.0.0"))
        {
            await SupabaseDatabaseBroadcastTests.JoinAsync(client, "realtime:room1");
            await SendAsync("one");
            afterOne = (await client.NextEventAsync("broadcast")).Payload.GetProperty("meta").GetProperty("offset").GetString()!;
        }
        await SendAsync("two");
        server.Kill();
        await SendAsync("three"); // while the server is down
        await server.RestartAsync();

        await using var resumed = await PhoenixTestClient.ConnectAsync(server.HttpBase, "1.0.0");
        await SupabaseDatabaseBroadcastTests.JoinAsync(resumed, "realtime:room1", since: afterOne);
        await SendAsync("four");
        var frames = await SupabaseDatabaseBroadcastTests.BroadcastsUntilAsync(resumed, "four");
        Assert.Equal(["two", "three", "four"], frames.Select(f => f.Payload.GetProperty("event").GetString()));
        var offsets = frames.Select(f => f.Payload.GetProperty("meta").GetProperty("offset").GetString()!).ToList();
        Assert.Equal(offsets.Order(StringComparer.Ordinal), offsets);
        Assert.True(string.CompareOrdinal(afterOne, offsets[0]) < 0);
        Assert.DoesNotContain(await resumed.RoundTripAsync(), f => f.Event == "broadcast");
    }
}
