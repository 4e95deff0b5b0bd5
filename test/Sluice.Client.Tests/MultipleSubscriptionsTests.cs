using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

/// <summary>
/// Several subscriptions of one table on one client: the first is sent without an id, each further one with an id of the
/// client's choosing (<c>s2</c>, <c>s3</c>, …), and every frame reaches the subscription its channel and id name.
/// </summary>
public sealed class MultipleSubscriptionsTests
{
    private const string Channel = Frames.Products;

    [Fact]
    public async Task Frames_reach_the_subscription_of_their_id_and_frames_without_one_the_first()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var cheap = client.Table("public", "products", filter: "price=lt.10");
        var dear = client.Table("public", "products", filter: "price=gte.10");
        var (cheapSeen, dearSeen) = (new Recorder<string>(), new Recorder<string>());
        cheap.OnChange(change => cheapSeen.Add(change.Offset));
        dear.OnChange(change => dearSeen.Add(change.Offset));
        Assert.Equal(cheap.Channel, dear.Channel);
        await client.StartAsync();

        var connection = await server.NextConnectionAsync();
        var subscribes = new[] { await connection.ReceiveSubscribeAsync(), await connection.ReceiveSubscribeAsync() };
        var plain = subscribes.Single(frame => frame["id"] is null);
        var withId = subscribes.Single(frame => frame["id"] is not null);
        Assert.Equal(("price=lt.10", "price=gte.10", "s2"), ((string?)plain["filter"], (string?)withId["filter"], (string?)withId["id"]));

        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.WithId(Frames.Ack(Channel), "s2"));
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1, price = 5 }));
        await connection.SendAsync(Frames.WithId(Frames.Insert(Channel, 2, new { id = 2, price = 50 }), "s2"));
        await connection.SendAsync(Frames.WithId(Frames.Insert(Channel, 3, new { id = 3, price = 5 }), "s9"));
        await connection.SendAsync(Frames.Insert(Channel, 4, new { id = 4, price = 6 }));
        await cheapSeen.WaitForCountAsync(2, "the changes without an id");
        await dearSeen.WaitForCountAsync(1, "the change with id s2");

        Assert.Equal([Frames.Offset(1), Frames.Offset(4)], cheapSeen.Items);
        Assert.Equal([Frames.Offset(2)], dearSeen.Items);
        Assert.Equal((Frames.Offset(4), Frames.Offset(2)), (cheap.LastOffset, dear.LastOffset));
    }

    [Fact]
    public async Task Disposing_one_unsubscribes_it_by_id_and_ids_are_never_reused()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var first = client.Table("public", "products");
        var second = client.Table("public", "products");
        var firstSeen = new Recorder<string>();
        first.OnChange(change => firstSeen.Add(change.Offset));
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.WithId(Frames.Ack(Channel), "s2"));
        // The second's ack has been handled once a change after it arrived: it is subscribed, so disposing it unsubscribes.
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1 }));
        await firstSeen.WaitForCountAsync(1, "a change after the acks");

        await second.DisposeAsync();
        var unsubscribe = await connection.ReceiveAsync();
        Assert.Equal(("unsubscribe", Channel, "s2"), ((string?)unsubscribe["type"], (string?)unsubscribe["channel"], (string?)unsubscribe["id"]));

        var third = client.Table("public", "products");
        Assert.Equal("s3", (string?)(await connection.ReceiveSubscribeAsync())["id"]);
        await first.DisposeAsync();
        var plainUnsubscribe = await connection.ReceiveAsync();
        Assert.Equal(("unsubscribe", (string?)null), ((string?)plainUnsubscribe["type"], (string?)plainUnsubscribe["id"]));
        // The key without an id is free again: the next one takes it.
        await using var fourth = client.Table("public", "products");
        Assert.Null((await connection.ReceiveSubscribeAsync())["id"]);
        await third.DisposeAsync();
    }

    [Fact]
    public async Task After_a_reconnect_each_resumes_with_its_own_offset_and_id()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var first = client.Table("public", "products");
        var second = client.Table("public", "products", filter: "id=gt.1");
        var (firstSeen, secondSeen) = (new Recorder<string>(), new Recorder<string>());
        first.OnChange(change => firstSeen.Add(change.Offset));
        second.OnChange(change => secondSeen.Add(change.Offset));
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.WithId(Frames.Ack(Channel), "s2"));
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1 }));
        await connection.SendAsync(Frames.WithId(Frames.Insert(Channel, 2, new { id = 2 }), "s2"));
        await firstSeen.WaitForCountAsync(1, "the first's change");
        await secondSeen.WaitForCountAsync(1, "the second's change");

        connection.Abort();
        var again = await server.NextConnectionAsync();
        var subscribes = new[] { await again.ReceiveSubscribeAsync(), await again.ReceiveSubscribeAsync() };
        var plain = subscribes.Single(frame => frame["id"] is null);
        var withId = subscribes.Single(frame => frame["id"] is not null);
        Assert.Equal((Frames.Offset(1), Frames.Offset(2), "s2", "id=gt.1"),
            ((string?)plain["since"], (string?)withId["since"], (string?)withId["id"], (string?)withId["filter"]));
    }

    [Fact]
    public async Task A_resync_of_one_id_resubscribes_only_that_one_with_a_snapshot()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var first = client.Table("public", "products");
        var second = client.Table("public", "products");
        var firstSeen = new Recorder<string>();
        first.OnChange(change => firstSeen.Add(change.Offset));
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.WithId(Frames.Ack(Channel), "s2"));

        await connection.SendAsync(Frames.WithId(Frames.Resync(Channel), "s2"));
        var resubscribe = await connection.ReceiveSubscribeAsync();
        Assert.Equal(("s2", true, (string?)null), ((string?)resubscribe["id"], (bool?)resubscribe["snapshot"], (string?)resubscribe["since"]));
        // The first is untouched: it still receives its changes, and nothing else was sent.
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1 }));
        await firstSeen.WaitForCountAsync(1, "the first's change");
        await second.DisposeAsync();
        Assert.Equal("s2", (string?)(await connection.ReceiveAsync())["id"]);
    }
}
