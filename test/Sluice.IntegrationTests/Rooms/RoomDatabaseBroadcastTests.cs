using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Rooms;

/// <summary>
/// Database broadcasts (<c>realtime.send</c>, rows of <c>realtime.messages</c>) on native rooms: <c>database_broadcast</c>
/// frames of the room's topic and privacy with their <c>database_offset</c>, resumed with <c>database_since</c> apart from
/// the room's own <c>since</c>. <c>room:org-…</c> rooms are private (a subscribe rule covers them).
/// </summary>
public sealed class RoomDatabaseBroadcastTests(PostgresFixture postgres) : RoomTest(postgres)
{
    protected override string[] RoomArgs => ["--Sluice:Rooms:Private:0:Pattern", "org-{organization_id}:*"];

    internal static async Task<JsonElement> SubscribeAsync(TestClient client, string channel, string? since = null, string? databaseSince = null)
    {
        var frame = new Dictionary<string, object> { ["type"] = "subscribe", ["channel"] = channel };
        if (since is not null)
            frame["since"] = since;
        if (databaseSince is not null)
            frame["database_since"] = databaseSince;
        await client.SendAsync(frame);
        var ack = await ExpectAsync(client, "ack");
        Assert.Equal(channel, ack.GetProperty("channel").GetString());
        await ExpectAsync(client, "presence_state");
        return ack;
    }

    /// <summary>The next frames of <paramref name="client"/>, which must be database broadcasts, up to the one with <paramref name="last"/>.</summary>
    internal static async Task<List<JsonElement>> DatabaseBroadcastsUntilAsync(TestClient client, string last)
    {
        var frames = new List<JsonElement>();
        while (true)
        {
            var frame = await ExpectAsync(client, FrameTypes.DatabaseBroadcast);
            frames.Add(frame);
            if (frame.GetProperty("event").GetString() == last)
                return frames;
        }
    }

    internal static List<string> Events(List<JsonElement> frames) => [.. frames.Select(f => f.GetProperty("event").GetString()!)];

    private Task SendAsync(string eventName, string topic, bool isPrivate) =>
        Database.ExecuteAsync("SELECT realtime.send('{\"x\":1}'::jsonb, $1, $2, $3)", eventName, topic, isPrivate);

    [Fact]
    public async Task Realtime_send_reaches_the_rooms_of_its_topic_and_privacy_once_committed_with_a_database_offset()
    {
        await using var publicRoom = await Server.ConnectAsync();
        await using var privateRoom = await ConnectWithTokenAsync(UserToken("alice", organization: "acme"));
        var start = (await SubscribeAsync(publicRoom, "room:news")).GetProperty("database_offset").GetString()!;
        await SubscribeAsync(privateRoom, "room:org-acme:news");

        await SendAsync("ev", "news", isPrivate: false);
        var frame = await ExpectAsync(publicRoom, FrameTypes.DatabaseBroadcast);
        var rowId = (await Database.ScalarAsync<Guid>("SELECT id FROM realtime.messages WHERE event = 'ev'")).ToString();
        Assert.Equal(["type", "channel", "database_offset", "event", "payload", "id"], frame.EnumerateObject().Select(p => p.Name));
        Assert.Equal("room:news", frame.GetProperty("channel").GetString());
        Assert.Equal("ev", frame.GetProperty("event").GetString());
        Assert.Equal(1, frame.GetProperty("payload").GetProperty("x").GetInt32());
        Assert.Equal(rowId, frame.GetProperty("payload").GetProperty("id").GetString());
        Assert.Equal(rowId, frame.GetProperty("id").GetString());
        Assert.True(string.CompareOrdinal(start, frame.GetProperty("database_offset").GetString()) < 0);

        // A rolled-back send never arrives; a row reaches only the rooms of its topic and privacy.
        await using (var connection = await Database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var command = new Npgsql.NpgsqlCommand("SELECT realtime.send('{}'::jsonb, 'rolled-back', 'news', false)", connection, transaction);
            await command.ExecuteNonQueryAsync();
            await transaction.RollbackAsync();
        }
        await SendAsync("private-on-public-topic", "news", isPrivate: true);
        await SendAsync("public-on-private-topic", "org-acme:news", isPrivate: false);
        await SendAsync("private", "org-acme:news", isPrivate: true);
        await SendAsync("other-topic", "news2", isPrivate: false);
        await SendAsync("end", "news", isPrivate: false);
        await SendAsync("end", "org-acme:news", isPrivate: true);

        Assert.Equal(["end"], Events(await DatabaseBroadcastsUntilAsync(publicRoom, "end")));
        Assert.Equal(["private", "end"], Events(await DatabaseBroadcastsUntilAsync(privateRoom, "end")));
    }

    [Fact]
    public async Task Database_since_resumes_exactly_the_database_broadcasts_sent_meanwhile_and_since_still_resumes_the_room()
    {
        await using var publisher = await Server.ConnectAsync();
        await SubscribeAsync(publisher, "room:chat");
        string roomOffset, afterOne;
        await using (var first = await Server.ConnectAsync())
        {
            await SubscribeAsync(first, "room:chat");
            roomOffset = await PublishAckedAsync(publisher, "room:chat", "m1", 1, "p1");
            await ExpectMessageAsync(first, "room:chat", "m1");
            await SendAsync("one", "chat", isPrivate: false);
            afterOne = (await ExpectAsync(first, FrameTypes.DatabaseBroadcast)).GetProperty("database_offset").GetString()!;
            await DatabaseBroadcastsUntilAsync(publisher, "one");
        }

        // While the client is away: a room message and database broadcasts, two of them in one transaction.
        await PublishAckedAsync(publisher, "room:chat", "m2", 2, "p2");
        await Database.ExecuteAsync("SELECT realtime.send('{}'::jsonb, 'two', 'chat', false); SELECT realtime.send('{}'::jsonb, 'three', 'chat', false)");

        await using var resumed = await Server.ConnectAsync();
        var ack = await SubscribeAsync(resumed, "room:chat", since: roomOffset, databaseSince: afterOne);
        Assert.Equal(roomOffset, ack.GetProperty("offset").GetString());
        Assert.Equal(afterOne, ack.GetProperty("database_offset").GetString());
        await ExpectMessageAsync(resumed, "room:chat", "m2");
        var replayed = await DatabaseBroadcastsUntilAsync(resumed, "three");
        Assert.Equal(["two", "three"], Events(replayed));
        await SendAsync("four", "chat", isPrivate: false);
        var four = Assert.Single(await DatabaseBroadcastsUntilAsync(resumed, "four"));
        var offsets = replayed.Append(four).Select(f => f.GetProperty("database_offset").GetString()!).ToList();
        Assert.Equal(offsets.Order(StringComparer.Ordinal), offsets);
        Assert.True(string.CompareOrdinal(afterOne, offsets[0]) < 0);
        // Nothing more (no repeat): the next frame answers the client's own publish.
        await PublishAckedAsync(resumed, "room:chat", "m3", 3, "r1");
        Assert.Equal(["two", "three", "four"], Events(await DatabaseBroadcastsUntilAsync(publisher, "four")));
        await ExpectMessageAsync(publisher, "room:chat", "m3");

        // Leaving the room ends its database broadcasts too: the next frame answers a second unsubscribe.
        await resumed.SendAsync(new { type = "unsubscribe", channel = "room:chat" });
        await ExpectAsync(resumed, "unsubscribed");
        await SendAsync("after-leaving", "chat", isPrivate: false);
        Assert.Equal(["after-leaving"], Events(await DatabaseBroadcastsUntilAsync(publisher, "after-leaving")));
        await resumed.SendAsync(new { type = "unsubscribe", channel = "room:chat" });
        await ExpectErrorAsync(resumed, ErrorCodes.NotSubscribed);
    }

    [Fact]
    public async Task A_malformed_database_since_gets_invalid_offset_and_one_of_another_epoch_a_database_resync()
    {
        await using var client = await Server.ConnectAsync();
        await client.SendAsync(new { type = "subscribe", channel = "room:bad", database_since = "yesterday" });
        Assert.Equal("room:bad", (await ExpectErrorAsync(client, ErrorCodes.InvalidOffset)).GetProperty("channel").GetString());
        await client.SendAsync(new { type = "subscribe", channel = "room:bad", database_since = 7 });
        await ExpectErrorAsync(client, ErrorCodes.InvalidField);
        await client.SendAsync(new { type = "subscribe", channel = "table:public.nothing", database_since = "yesterday" });
        await ExpectErrorAsync(client, ErrorCodes.InvalidField);

        var start = (await SubscribeAsync(client, "room:ok")).GetProperty("database_offset").GetString()!;
        // Of this epoch but beyond the database's WAL: never issued.
        await client.SendAsync(new { type = "subscribe", channel = "room:bad", database_since = start[..9] + "7FFFFFFFFFFFFFFF-00000000" });
        await ExpectErrorAsync(client, ErrorCodes.InvalidOffset);

        // Another epoch: the room is subscribed, its database broadcasts are not (no database_offset), and the client is told.
        var otherEpoch = (start[0] == '0' ? "1" : "0") + start[1..];
        var ack = await SubscribeAsync(client, "room:bad", databaseSince: otherEpoch);
        Assert.False(ack.TryGetProperty("database_offset", out _));
        var resync = await ExpectAsync(client, FrameTypes.DatabaseResyncRequired);
        Assert.Equal("room:bad", resync.GetProperty("channel").GetString());
        Assert.Contains("another log epoch", resync.GetProperty("error").GetString());
        await SendAsync("not-for-bad", "bad", isPrivate: false);
        await SendAsync("end", "ok", isPrivate: false);
        Assert.Equal(["end"], Events(await DatabaseBroadcastsUntilAsync(client, "end")));
    }
}

/// <summary>A <c>database_since</c> older than the retention window (two changes here): the room works, its database broadcasts need a resync.</summary>
public sealed class RoomDatabaseBroadcastRetentionTests(PostgresFixture postgres) : ServerTest(postgres)
{
    protected override string[] ServerArgs => ["--retention-changes", "2"];

    [Fact]
    public async Task A_database_since_older_than_retention_gets_database_resync_required_and_nothing_partial()
    {
        var client = await ConnectAsync();
        var start = (await RoomDatabaseBroadcastTests.SubscribeAsync(client, "room:r1")).GetProperty("database_offset").GetString()!;
        for (var i = 1; i <= 4; i++)
            await Database.ExecuteAsync("SELECT realtime.send('{}'::jsonb, $1, 'r1', false)", "m" + i);
        await RoomDatabaseBroadcastTests.DatabaseBroadcastsUntilAsync(client, "m4");

        var resumed = await ConnectAsync();
        await RoomDatabaseBroadcastTests.SubscribeAsync(resumed, "room:r1", databaseSince: start);
        var resync = await resumed.NextAsync();
        Assert.Equal(FrameTypes.DatabaseResyncRequired, resync.GetProperty("type").GetString()); // nothing replayed before it
        Assert.Contains("retention window", resync.GetProperty("error").GetString());

        // Subscribing again without database_since: live from now.
        var ack = await RoomDatabaseBroadcastTests.SubscribeAsync(resumed, "room:r1");
        Assert.True(string.CompareOrdinal(start, ack.GetProperty("database_offset").GetString()) < 0);
        await Database.ExecuteAsync("SELECT realtime.send('{}'::jsonb, 'm5', 'r1', false)");
        Assert.Equal(["m5"], RoomDatabaseBroadcastTests.Events(await RoomDatabaseBroadcastTests.DatabaseBroadcastsUntilAsync(resumed, "m5")));
    }
}

/// <summary>
/// Rooms need no database: when it cannot be asked whether there are database broadcasts, a room is subscribed all the same
/// (its ack without <c>database_offset</c>) and the client is told with <c>database_resync_required</c>.
/// </summary>
public sealed class RoomWithoutDatabaseTests(PostgresFixture fixture) : RoomTest(fixture)
{
    private readonly string _admin = fixture.AdminConnectionString;

    [Fact]
    public async Task A_room_is_subscribed_and_works_when_the_database_cannot_be_asked_and_its_database_broadcasts_are_said_missing()
    {
        // Once the log is current (a table subscription waits for it), the database refuses every new connection and the
        // server's open ones end (its replication stream stays).
        await CreateTableAsync("items");
        await using var watcher = await Server.ConnectAsync();
        await watcher.SubscribeAsync("table:public.items");
        await using (var admin = new Npgsql.NpgsqlConnection(_admin))
        {
            await admin.OpenAsync();
            await using var block = new Npgsql.NpgsqlCommand($"""
                ALTER DATABASE "{Database.Name}" ALLOW_CONNECTIONS false;
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{Database.Name}' AND backend_type = 'client backend';
                """, admin);
            await block.ExecuteNonQueryAsync();
        }
        try
        {
            await using var alice = await Server.ConnectAsync();
            await using var bob = await Server.ConnectAsync();
            foreach (var client in new[] { alice, bob })
            {
                var ack = await RoomDatabaseBroadcastTests.SubscribeAsync(client, "room:lobby");
                Assert.False(ack.TryGetProperty("database_offset", out _));
                var missing = await ExpectAsync(client, FrameTypes.DatabaseResyncRequired);
                Assert.Contains("could not be asked", missing.GetProperty("error").GetString());
            }
            await PublishAsync(alice, "room:lobby", "hello", new { n = 1 });
            await ExpectMessageAsync(bob, "room:lobby", "hello");
        }
        finally
        {
            await using var admin = new Npgsql.NpgsqlConnection(_admin);
            await admin.OpenAsync();
            await using var unblock = new Npgsql.NpgsqlCommand($"""ALTER DATABASE "{Database.Name}" ALLOW_CONNECTIONS true""", admin);
            await unblock.ExecuteNonQueryAsync();
        }
    }
}
