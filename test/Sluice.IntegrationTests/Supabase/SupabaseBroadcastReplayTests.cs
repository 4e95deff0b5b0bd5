using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Auth;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// Supabase's broadcast replay (<c>config.broadcast.replay: {since, limit}</c>) of private channels: the newest
/// <c>limit</c> stored messages of the topic inserted since <c>since</c> (ms), pushed oldest first after the join reply with
/// <c>meta {replayed: true, id}</c>; then the channel's database broadcasts go on from exactly where that read ended, so no
/// replayed message arrives again live and none sent during the join is missed. Private channels are admitted by the
/// private-room rules (<c>topic:*</c>).
/// </summary>
public sealed class SupabaseBroadcastReplayTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    protected override string[] MoreServerArgs => ["--Sluice:Rooms:Private:0:Pattern", "topic:*"];

    private async Task<PhoenixTestClient> ConnectAsync(string vsn) =>
        Track(await PhoenixTestClient.ConnectAsync(Server, vsn, Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "user-1" })));

    private static JsonObject Join(JsonNode? replay, bool isPrivate = true)
    {
        var join = SupabaseDatabaseBroadcastTests.Join(isPrivate);
        join["config"]!["broadcast"]!["replay"] = replay;
        return join;
    }

    private static JsonObject Replay(long since, int? limit = null)
    {
        var replay = new JsonObject { ["since"] = since };
        if (limit is not null)
            replay["limit"] = limit;
        return replay;
    }

    private Task SendAsync(string eventName, string topic, bool isPrivate = true, string payload = """{"x":1}""") =>
        Database.ExecuteAsync("SELECT realtime.send($1::jsonb, $2, $3, $4)", payload, eventName, topic, isPrivate);

    private static string Event(PhoenixFrame frame) => frame.Payload.GetProperty("event").GetString()!;

    private static bool Replayed(PhoenixFrame frame) =>
        frame.Payload.GetProperty("meta").TryGetProperty("replayed", out var replayed) && replayed.GetBoolean();

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_replay_pushes_the_newest_messages_since_oldest_first_then_live_ones_never_twice(string vsn)
    {
        // Too old for the replay, and rows of other topics and of the public channel: never replayed.
        await Database.ExecuteAsync("""
            INSERT INTO realtime.messages (topic, extension, payload, event, private, inserted_at)
            VALUES ('topic:r', 'broadcast', '{}', 'too-old', true, LOCALTIMESTAMP - interval '2 hours')
            """);
        var since = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();
        for (var i = 1; i <= 5; i++)
            await SendAsync($"m{i}", "topic:r", payload: $$"""{"n":{{i}}}""");
        await SendAsync("public", "topic:r", isPrivate: false);
        await SendAsync("other", "topic:other");
        var idOf = JsonSerializer.Deserialize<Dictionary<string, string>>(
            (await Database.ScalarAsync<string>("SELECT jsonb_object_agg(event, id)::text FROM realtime.messages WHERE topic = 'topic:r' AND private"))!)!;

        var client = await ConnectAsync(vsn);
        var (joinRef, reply) = await client.JoinAsync("realtime:topic:r", Join(Replay(since, limit: 10)));
        Assert.True(reply.Payload.GetProperty("status").GetString() == "ok", $"join refused: {reply}");
        var offset = reply.Payload.GetProperty("response").GetProperty("broadcast").GetProperty("offset").GetString()!;

        var replayed = new List<PhoenixFrame>();
        for (var i = 0; i < 5; i++)
            replayed.Add(await client.NextEventAsync("broadcast"));
        Assert.Equal(["m1", "m2", "m3", "m4", "m5"], replayed.Select(Event));
        foreach (var frame in replayed)
        {
            // A JSON push of the channel (vsn 2.0.0: with its join_ref), as Supabase pushes a replayed message.
            Assert.False(frame.Binary);
            Assert.Equal("realtime:topic:r", frame.Topic);
            Assert.Equal(client.IsV2 ? joinRef : null, frame.JoinRef);
            Assert.Equal(["type", "event", "payload", "meta"], frame.Payload.EnumerateObject().Select(p => p.Name));
            var meta = frame.Payload.GetProperty("meta");
            Assert.Equal(["replayed", "id"], meta.EnumerateObject().Select(p => p.Name));
            Assert.True(Replayed(frame));
            Assert.Equal(idOf[Event(frame)], meta.GetProperty("id").GetString());
            Assert.Equal(idOf[Event(frame)], frame.Payload.GetProperty("payload").GetProperty("id").GetString());
        }
        Assert.Equal(5, replayed[^1].Payload.GetProperty("payload").GetProperty("n").GetInt32());

        await SendAsync("live", "topic:r");
        var live = await client.NextEventAsync("broadcast");
        Assert.Equal("live", Event(live));
        Assert.False(Replayed(live));
        Assert.True(string.CompareOrdinal(offset, live.Payload.GetProperty("meta").GetProperty("offset").GetString()) < 0);
        Assert.DoesNotContain(await client.RoundTripAsync(), f => f.Event == "broadcast");

        // No limit: Supabase's 25 at most, the newest.
        for (var i = 6; i <= 30; i++)
            await SendAsync($"m{i}", "topic:r");
        var all = await ConnectAsync(vsn);
        var (_, allReply) = await all.JoinAsync("realtime:topic:r", Join(Replay(0)));
        Assert.Equal("ok", allReply.Payload.GetProperty("status").GetString());
        var newest = new List<string>();
        for (var i = 0; i < 25; i++)
            newest.Add(Event(await all.NextEventAsync("broadcast")));
        Assert.Equal(Enumerable.Range(6, 25).Select(i => $"m{i}"), newest);
        Assert.DoesNotContain(await all.RoundTripAsync(), f => f.Event == "broadcast");
    }

    [Fact]
    public async Task Messages_committed_while_a_replay_joins_arrive_exactly_once_with_no_gap()
    {
        // A writer commits numbered messages one after another while channels join with a replay: for each channel, the
        // replayed messages and the live ones together are consecutive numbers, none twice, up to the last one written.
        var since = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();
        for (var n = 1; n <= 10; n++)
            await SendAsync("n", "topic:w", payload: $$"""{"n":{{n}}}""");
        using var stop = new CancellationTokenSource();
        var written = 10;
        var writer = Task.Run(async () =>
        {
            await using var connection = await Database.OpenAsync();
            while (!stop.IsCancellationRequested)
            {
                var n = written + 1;
                await using var command = new Npgsql.NpgsqlCommand("SELECT realtime.send(jsonb_build_object('n', $1), 'n', 'topic:w', true)", connection);
                command.Parameters.AddWithValue(n);
                await command.ExecuteNonQueryAsync();
                Volatile.Write(ref written, n);
            }
        });
        var clients = new List<PhoenixTestClient>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var client = await ConnectAsync(i % 2 == 0 ? "1.0.0" : "2.0.0");
                var (_, reply) = await client.JoinAsync("realtime:topic:w", Join(Replay(since, limit: 5)));
                Assert.True(reply.Payload.GetProperty("status").GetString() == "ok", $"join refused: {reply}");
                clients.Add(client);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }
        await SendAsync("end", "topic:w");

        foreach (var client in clients)
        {
            var numbers = new List<int>();
            var replayedCount = 0;
            while (true)
            {
                var frame = await client.NextEventAsync("broadcast");
                if (Event(frame) == "end")
                    break;
                if (Replayed(frame))
                {
                    Assert.Equal(replayedCount, numbers.Count); // replayed ones come first
                    replayedCount++;
                }
                numbers.Add(frame.Payload.GetProperty("payload").GetProperty("n").GetInt32());
            }
            Assert.Equal(5, replayedCount);
            Assert.Equal(Enumerable.Range(numbers[0], written - numbers[0] + 1), numbers);
        }
    }

    [Fact]
    public async Task A_replay_Supabase_refuses_is_refused_with_its_reason_and_a_replay_that_is_not_an_object_is_ignored()
    {
        var client = await ConnectAsync("1.0.0");
        async Task<string> RefusalAsync(string topic, JsonObject join)
        {
            var (_, reply) = await client.JoinAsync(topic, join);
            Assert.Equal("error", reply.Payload.GetProperty("status").GetString());
            return reply.Payload.GetProperty("response").GetProperty("reason").GetString()!;
        }

        Assert.Equal("UnableToReplayMessages: Replay is not allowed for public channels",
            await RefusalAsync("realtime:topic:a", Join(Replay(0), isPrivate: false)));
        Assert.Equal("UnableToReplayMessages: Replay is not allowed for public channels",
            await RefusalAsync("realtime:topic:a", Join(null, isPrivate: false)));
        Assert.Equal("UnableToReplayMessages: Replay params are not valid",
            await RefusalAsync("realtime:topic:a", Join(new JsonObject { ["since"] = "yesterday" })));
        Assert.Equal("UnableToReplayMessages: Replay params are not valid",
            await RefusalAsync("realtime:topic:a", Join(new JsonObject { ["limit"] = 5 })));
        Assert.Equal("UnableToReplayMessages: Replay params are not valid",
            await RefusalAsync("realtime:topic:a", Join(new JsonObject { ["since"] = 0, ["limit"] = "5" })));

        // The stored message must have been dispatched before the join below, or it would rightly arrive live (capture is
        // asynchronous): a second connection on the topic sees it first.
        var watcher = await ConnectAsync("1.0.0");
        var (_, watching) = await watcher.JoinAsync("realtime:topic:a", Join(null));
        Assert.Equal("ok", watching.Payload.GetProperty("status").GetString());
        await SendAsync("stored", "topic:a");
        Assert.Equal("stored", Event(await watcher.NextEventAsync("broadcast")));
        var (_, ignored) = await client.JoinAsync("realtime:topic:a", Join(null));
        Assert.Equal("ok", ignored.Payload.GetProperty("status").GetString());
        Assert.DoesNotContain(await client.RoundTripAsync(), f => f.Event == "broadcast");
    }
}
