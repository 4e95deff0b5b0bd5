using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests;

/// <summary>
/// Several subscriptions of one table on one connection, told apart by the client's subscription <c>id</c>
/// (docs/protocol.md, "Several subscriptions to one table"): each has its own filter, events, <c>since</c> and snapshot,
/// and every frame of it carries its id; a subscription without an id is unchanged.
/// </summary>
public sealed class SubscriptionIdTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private const string Channel = "table:public.orders";

    private static string Subscribe(string? id, string? filter = null, string? since = null, bool snapshot = false, string channel = Channel)
    {
        var frame = new JsonObject { ["type"] = "subscribe", ["channel"] = channel };
        if (id is not null)
            frame["id"] = id;
        if (filter is not null)
            frame["filter"] = filter;
        if (since is not null)
            frame["since"] = since;
        if (snapshot)
            frame["snapshot"] = true;
        return frame.ToJsonString();
    }

    /// <summary>The frame's <c>id</c>, or null when it has none (a subscription without an id).</summary>
    private static string? IdOf(JsonElement frame) => frame.TryGetProperty("id", out var id) ? id.GetString() : null;

    private static async Task<JsonElement> AckAsync(TestClient client, string? id, string? filter = null, string? since = null)
    {
        await client.SendTextAsync(Subscribe(id, filter, since));
        var ack = await client.NextAsync();
        Assert.True(Frames.Type(ack) == "ack", $"expected ack, got {ack}");
        Assert.Equal(Channel, ack.GetProperty("channel").GetString());
        Assert.Equal(id, IdOf(ack));
        return ack;
    }

    /// <summary>Reads change frames until <paramref name="done"/> holds for the ones read so far.</summary>
    private static async Task<List<JsonElement>> ChangesUntilAsync(TestClient client, Func<List<JsonElement>, bool> done)
    {
        var frames = new List<JsonElement>();
        while (!done(frames))
            frames.Add(await client.NextChangeAsync());
        return frames;
    }

    private static long[] RowsOf(IEnumerable<JsonElement> changes, string? id) =>
        [.. changes.Where(change => IdOf(change) == id).Select(Frames.Id)];

    private Task InsertAsync(long id, decimal price) =>
        Database.ExecuteAsync("INSERT INTO orders VALUES ($1, $2, $3)", id, "order " + id, price);

    [Fact]
    public async Task Subscriptions_with_different_ids_and_filters_each_receive_exactly_their_rows_with_their_id()
    {
        await CreateTableAsync("orders");
        var client = await ConnectAsync();
        await AckAsync(client, "cheap", "price=lt.10");
        await AckAsync(client, "dear", "price=gte.10");
        await AckAsync(client, id: null);

        for (var id = 1; id <= 6; id++)
            await InsertAsync(id, id % 2 == 0 ? 5 : 50);

        // Every change reaches the subscription without a filter (and id); each row reaches exactly one of the others.
        var changes = await ChangesUntilAsync(client, frames => frames.Count == 12);
        Assert.All(changes, change => Assert.Equal(Channel, change.GetProperty("channel").GetString()));
        Assert.Equal([2, 4, 6], RowsOf(changes, "cheap"));
        Assert.Equal([1, 3, 5], RowsOf(changes, "dear"));
        Assert.Equal([1, 2, 3, 4, 5, 6], RowsOf(changes, null));
        Assert.All(changes.Where(change => IdOf(change) is null), change => Assert.False(change.TryGetProperty("id", out _)));

        // Nothing else is queued: the next frame answers a heartbeat sent after the inserts' changes.
        await client.SendAsync(new { type = "heartbeat", @ref = "end" });
        while (true)
        {
            var frame = await client.NextAsync(skipHeartbeats: false);
            Assert.True(Frames.Type(frame) == "heartbeat", $"expected nothing but the heartbeat's answer, got {frame}");
            if (frame.TryGetProperty("ref", out var reference) && reference.GetString() == "end")
                break;
        }
    }

    [Fact]
    public async Task Subscribing_again_with_the_same_id_replaces_only_that_subscription()
    {
        await CreateTableAsync("orders");
        var client = await ConnectAsync();
        await AckAsync(client, "a", "price=lt.10");
        await AckAsync(client, "b", "price=lt.10");
        await AckAsync(client, "a", "price=gte.10");

        await InsertAsync(1, 5);
        await InsertAsync(2, 50);
        // a's row 2 comes after whatever the connection got for row 1; b still has its own filter.
        var changes = await ChangesUntilAsync(client, frames => RowsOf(frames, "a").Length == 1 && RowsOf(frames, "b").Length == 1);
        Assert.Equal([2], RowsOf(changes, "a"));
        Assert.Equal([1], RowsOf(changes, "b"));
        Assert.Empty(RowsOf(changes, null));
    }

    [Fact]
    public async Task Unsubscribing_by_id_ends_that_subscription_and_leaves_the_others()
    {
        await CreateTableAsync("orders");
        var client = await ConnectAsync();
        await AckAsync(client, "a");
        await AckAsync(client, "b");
        await AckAsync(client, id: null);

        await client.SendAsync(new { type = "unsubscribe", channel = Channel, id = "a" });
        var unsubscribed = await client.NextAsync();
        Assert.Equal(("unsubscribed", Channel, "a"), (Frames.Type(unsubscribed), unsubscribed.GetProperty("channel").GetString(), IdOf(unsubscribed)));

        // Not subscribed any more, and an id never used: refused with the id; the subscriptions stay.
        foreach (var id in new[] { "a", "never" })
        {
            await client.SendAsync(new { type = "unsubscribe", channel = Channel, id });
            var refusal = await client.NextAsync();
            Assert.Equal(("error", ErrorCodes.NotSubscribed, id), (Frames.Type(refusal), refusal.GetProperty("code").GetString(), IdOf(refusal)));
        }

        await InsertAsync(1, 5);
        await InsertAsync(2, 5);
        var changes = await ChangesUntilAsync(client, frames => frames.Count == 4);
        Assert.Empty(RowsOf(changes, "a"));
        Assert.Equal([1, 2], RowsOf(changes, "b"));
        Assert.Equal([1, 2], RowsOf(changes, null));

        // Unsubscribing without an id ends the subscription without one, and b stays.
        await client.SendAsync(new { type = "unsubscribe", channel = Channel });
        var plain = await client.NextAsync();
        Assert.Equal(("unsubscribed", (string?)null), (Frames.Type(plain), IdOf(plain)));
        Assert.False(plain.TryGetProperty("id", out _));
        await InsertAsync(3, 5);
        var last = await client.NextChangeAsync();
        Assert.Equal(("b", 3L), (IdOf(last), Frames.Id(last)));
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"")]
    [InlineData("\"a:b\"")]
    [InlineData("\"two words\"")]
    [InlineData("\"caf\u00e9\"")]
    [InlineData("5")]
    public async Task A_bad_id_is_refused_with_invalid_field_before_anything_else(string id)
    {
        await CreateTableAsync("orders");
        var client = await ConnectAsync();
        // Even with a channel that is no table channel, and on unsubscribe: the id is checked first.
        foreach (var frame in new[]
                 {
                     $$"""{"type":"subscribe","channel":"{{Channel}}","id":{{id}}}""",
                     $$"""{"type":"subscribe","channel":"nonsense","id":{{id}},"since":"not an offset"}""",
                     $$"""{"type":"unsubscribe","channel":"{{Channel}}","id":{{id}}}""",
                 })
        {
            await client.SendTextAsync(frame);
            var refusal = await client.NextAsync();
            Assert.True(Frames.Type(refusal) == "error", $"expected an error, got {refusal}");
            Assert.Equal(ErrorCodes.InvalidField, refusal.GetProperty("code").GetString());
            Assert.False(refusal.TryGetProperty("id", out _), $"a bad id is not echoed: {refusal}");
        }

        // Nothing was subscribed, and the connection is usable.
        await AckAsync(client, "ok");
        await InsertAsync(1, 5);
        Assert.Equal("ok", IdOf(await client.NextChangeAsync()));
    }

    [Fact]
    public async Task The_longest_id_and_every_allowed_character_are_accepted()
    {
        await CreateTableAsync("orders");
        var client = await ConnectAsync();
        var longest = new string('x', SubscriptionIds.MaxLength);
        await AckAsync(client, longest);
        await AckAsync(client, "AZaz09_-.");
        await InsertAsync(1, 5);
        var changes = await ChangesUntilAsync(client, frames => frames.Count == 2);
        Assert.Equal(["AZaz09_-.", longest], changes.Select(IdOf).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_id_on_a_room_channel_is_refused()
    {
        var client = await ConnectAsync();
        await client.SendAsync(new { type = "subscribe", channel = "room:lobby", id = "a" });
        var refusal = await client.NextAsync();
        Assert.Equal(("error", ErrorCodes.InvalidField), (Frames.Type(refusal), refusal.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Errors_about_a_subscription_with_an_id_carry_its_id()
    {
        await CreateTableAsync("orders");
        var client = await ConnectAsync();
        (string Frame, string Code)[] cases =
        [
            (Subscribe("f", filter: "nosuchcolumn=eq.1"), ErrorCodes.InvalidFilter),
            (Subscribe("t", channel: "table:public.missing"), ErrorCodes.TableNotFound),
            (Subscribe("o", since: "not an offset"), ErrorCodes.InvalidOffset),
        ];
        foreach (var (frame, code) in cases)
        {
            await client.SendTextAsync(frame);
            var refusal = await client.NextAsync();
            Assert.Equal(("error", code), (Frames.Type(refusal), refusal.GetProperty("code").GetString()));
            Assert.Equal(JsonNode.Parse(frame)!["id"]!.GetValue<string>(), IdOf(refusal));
        }
    }

    [Fact]
    public async Task Each_id_resumes_from_its_own_offset()
    {
        await CreateTableAsync("orders");
        string cheapAfter, dearAfter;
        await using (var first = await Server.ConnectAsync())
        {
            await AckAsync(first, "cheap", "price=lt.10");
            await AckAsync(first, "dear", "price=gte.10");
            await InsertAsync(1, 5);
            await InsertAsync(2, 50);
            var changes = await ChangesUntilAsync(first, frames => frames.Count == 2);
            cheapAfter = Frames.Offset(changes.Single(change => IdOf(change) == "cheap"));
            dearAfter = Frames.Offset(changes.Single(change => IdOf(change) == "dear"));
        }

        // While disconnected: rows for both.
        await InsertAsync(3, 5);
        await InsertAsync(4, 50);
        await InsertAsync(5, 6);

        var resumed = await ConnectAsync();
        // Each resumes after the last change it received: cheap gets 3 and 5, dear gets 4.
        var cheapAck = await AckAsync(resumed, "cheap", "price=lt.10", since: cheapAfter);
        Assert.Equal("cheap", IdOf(cheapAck));
        var cheap = await ChangesUntilAsync(resumed, frames => frames.Count == 2);
        Assert.Equal([3, 5], RowsOf(cheap, "cheap"));
        var dearAck = await AckAsync(resumed, "dear", "price=gte.10", since: dearAfter);
        Assert.Equal("dear", IdOf(dearAck));
        var dear = await ChangesUntilAsync(resumed, frames => frames.Count == 1);
        Assert.Equal([4], RowsOf(dear, "dear"));

        // Then both are live, each with its filter.
        await InsertAsync(6, 7);
        await InsertAsync(7, 70);
        var live = await ChangesUntilAsync(resumed, frames => frames.Count == 2);
        Assert.Equal([6], RowsOf(live, "cheap"));
        Assert.Equal([7], RowsOf(live, "dear"));
    }

    [Fact]
    public async Task A_since_of_another_epoch_answers_resync_required_with_the_id()
    {
        await CreateTableAsync("orders");
        var client = await ConnectAsync();
        var ack = await AckAsync(client, "a");
        var offset = Frames.Offset(ack);
        var otherEpoch = (offset[0] == '0' ? "1" : "0") + offset[1..];
        await client.SendTextAsync(Subscribe("b", since: otherEpoch));
        var resync = await client.NextAsync();
        Assert.Equal(("resync_required", Channel, "b"), (Frames.Type(resync), resync.GetProperty("channel").GetString(), IdOf(resync)));
    }

    [Fact]
    public async Task Each_id_gets_its_own_snapshot()
    {
        await CreateTableAsync("orders");
        for (var id = 1; id <= 10; id++)
            await InsertAsync(id, id <= 4 ? 5 : 50);
        var client = await ConnectAsync();

        var cheap = await SnapshotAsync(client, "cheap", "price=lt.10");
        var dear = await SnapshotAsync(client, "dear", "price=gte.10");
        Assert.Equal([1, 2, 3, 4], cheap.Rows);
        Assert.Equal([5, 6, 7, 8, 9, 10], dear.Rows);

        // Live after the snapshot, each with its id and filter.
        await InsertAsync(11, 5);
        var live = await client.NextChangeAsync();
        Assert.Equal(("cheap", 11L), (IdOf(live), Frames.Id(live)));
        Assert.True(string.CompareOrdinal(cheap.Offset, Frames.Offset(live)) < 0);
    }

    [Fact]
    public async Task Disabling_realtime_ends_each_subscription_with_its_id()
    {
        await CreateTableAsync("orders");
        var client = await ConnectAsync();
        await AckAsync(client, "a");
        await AckAsync(client, "b", "price=gt.100");
        await AckAsync(client, id: null);
        await Database.ExecuteAsync("SELECT disable_realtime('public', 'orders')");

        var errors = new[] { await client.NextAsync(), await client.NextAsync(), await client.NextAsync() };
        Assert.All(errors, error => Assert.Equal(("error", "subscription_invalidated", Channel),
            (Frames.Type(error), error.GetProperty("code").GetString(), error.GetProperty("channel").GetString())));
        Assert.Equal([null, "a", "b"], errors.Select(IdOf).Order(StringComparer.Ordinal));
    }

    private static async Task<(long[] Rows, string Offset)> SnapshotAsync(TestClient client, string id, string filter)
    {
        await client.SendTextAsync(Subscribe(id, filter, snapshot: true));
        var ack = await client.NextAsync();
        Assert.Equal(("ack", id), (Frames.Type(ack), IdOf(ack)));
        var rows = new List<long>();
        while (true)
        {
            var frame = await client.NextAsync();
            Assert.Equal(("snapshot", Channel, id), (Frames.Type(frame), frame.GetProperty("channel").GetString(), IdOf(frame)));
            rows.AddRange(frame.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("id").GetInt64()));
            if (frame.GetProperty("last").GetBoolean())
                return ([.. rows.Order()], Frames.Offset(frame));
        }
    }
}
