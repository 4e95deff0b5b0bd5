using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

public sealed class RoomChannelTests
{
    private const string Lobby = RoomFrames.Lobby;

    [Fact]
    public async Task Room_names_are_validated_and_map_to_room_channels()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);

        var room = client.Room("lobby");
        Assert.Equal("lobby", room.Name);
        Assert.Equal(Lobby, room.Channel);
        Assert.Equal("room:org-1:team_a.b@c", client.Room("org-1:team_a.b@c").Channel);
        Assert.Equal(200, client.Room(new string('x', 200)).Name.Length);
        foreach (var bad in new[] { "", "a b", "caf\u00e9", "a/b", "a*", new string('x', 201) })
            Assert.Throws<ArgumentException>(() => client.Room(bad));
        Assert.Throws<InvalidOperationException>(() => client.Room("lobby"));
        Assert.Null(room.LastOffset);
        Assert.False(room.IsSubscribed);
    }

    [Fact]
    public async Task Broadcast_waits_for_the_subscription_and_sends_the_frame_with_self_ack_and_ref()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("lobby");
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        var subscribe = await connection.ReceiveSubscribeAsync();
        Assert.Equal(Lobby, (string?)subscribe["channel"]);
        Assert.Null(subscribe["since"]);
        Assert.Null(subscribe["snapshot"]);
        Assert.Null(subscribe["events"]);

        // Published before the ack: sent once the room is subscribed.
        var plain = room.BroadcastAsync("cursor", new Cursor(3, 4));
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        var frame = await connection.ReceiveAsync();
        Assert.Equal("broadcast", (string?)frame["type"]);
        Assert.Equal(Lobby, (string?)frame["channel"]);
        Assert.Equal("cursor", (string?)frame["event"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"x":3,"y":4}"""), frame["payload"]));
        Assert.False((bool)frame["self"]!);
        Assert.False((bool)frame["ack"]!);
        Assert.False(string.IsNullOrEmpty((string?)frame["ref"]));
        Assert.Null(await plain.WaitAsync(FakeServer.Patience));
        Assert.True(room.IsSubscribed);

        // With ack: the call returns the offset of the server's broadcast_ack.
        var acked = room.BroadcastAsync("chat", "hello", new BroadcastOptions { Self = true, Ack = true });
        var second = await connection.ReceiveAsync();
        Assert.True((bool)second["self"]!);
        Assert.True((bool)second["ack"]!);
        Assert.Equal("hello", (string?)second["payload"]);
        Assert.NotEqual((string?)frame["ref"], (string?)second["ref"]);
        Assert.False(acked.IsCompleted);
        await connection.SendAsync(RoomFrames.BroadcastAck(Lobby, (string)second["ref"]!, RoomFrames.Offset(7)));
        Assert.Equal(RoomFrames.Offset(7), await acked.WaitAsync(FakeServer.Patience));

        // A JsonElement payload is sent as it is.
        var raw = room.BroadcastAsync("raw", JsonDocument.Parse("""[1,{"a":null}]""").RootElement);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[1,{"a":null}]"""), (await connection.ReceiveAsync())["payload"]));
        await raw.WaitAsync(FakeServer.Patience);
        await Assert.ThrowsAsync<ArgumentException>(() => room.BroadcastAsync("", 1));
        await Assert.ThrowsAsync<ArgumentException>(() => room.BroadcastAsync(new string('e', 101), 1));
    }

    [Fact]
    public async Task A_refused_broadcast_throws_with_the_server_code_and_the_room_keeps_working()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        var room = client.Room("lobby");
        var received = new Recorder<string>();
        room.On<string>("chat", received.Add);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));

        var big = room.BroadcastAsync("chat", new string('x', 100), new BroadcastOptions { Ack = true });
        var frame = await connection.ReceiveAsync();
        await connection.SendAsync(RoomFrames.BroadcastError(Lobby, (string)frame["ref"]!, "payload_too_large", "the payload is over 65536 bytes"));
        var refused = await Assert.ThrowsAsync<SluiceException>(() => big.WaitAsync(FakeServer.Patience));
        Assert.Equal("payload_too_large", refused.Code);

        // A refusal of a broadcast sent without ack has nobody to throw to: it is reported.
        await room.BroadcastAsync("chat", "x");
        var unacked = await connection.ReceiveAsync();
        await connection.SendAsync(RoomFrames.BroadcastError(Lobby, (string)unacked["ref"]!, "forbidden", "not allowed to publish"));
        await errors.WaitForAsync(e => e.Any(x => x.Code == "forbidden"), "the refusal of the unacknowledged broadcast");
        Assert.Equal(Lobby, errors.Items.Single(x => x.Code == "forbidden").Channel);

        // Neither refusal is mistaken for an answer to the subscription.
        await connection.SendAsync(RoomFrames.Message(Lobby, 1, "chat", "still here"));
        await received.WaitForCountAsync(1, "a message after the refusals");
        Assert.True(room.IsSubscribed);
    }

    [Fact]
    public async Task Messages_reach_typed_handlers_the_catch_all_and_the_async_stream_in_order()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("lobby");
        var cursors = new Recorder<Cursor>();
        var all = new Recorder<string>();
        room.On<Cursor>("cursor", cursors.Add);
        room.OnMessage(message => all.Add($"{message.Event} {message.Offset} {message.Payload.ValueKind}"));
        var streamed = new Recorder<RoomMessage<Cursor>>();
        using var stop = new CancellationTokenSource();
        var reading = TestClients.ReadAllAsync(room.ReadMessagesAsync<Cursor>("cursor", stop.Token), streamed.Add);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        await connection.SendAsync(RoomFrames.Message(Lobby, 1, "cursor", new { x = 1, y = 2 }));
        await connection.SendAsync(RoomFrames.Message(Lobby, 2, "chat", "hi"));
        await connection.SendAsync(RoomFrames.Message(Lobby, 3, "cursor", new { x = 5, y = 6 }));
        await all.WaitForCountAsync(3, "three messages");
        await streamed.WaitForCountAsync(2, "the two cursors streamed");

        Assert.Equal([new Cursor(1, 2), new Cursor(5, 6)], cursors.Items);
        Assert.Equal(["cursor r1-1 Object", "chat r1-2 String", "cursor r1-3 Object"], all.Items);
        Assert.Equal([new RoomMessage<Cursor>("cursor", new Cursor(1, 2), "r1-1"), new RoomMessage<Cursor>("cursor", new Cursor(5, 6), "r1-3")], streamed.Items);
        Assert.Equal(RoomFrames.Offset(3), room.LastOffset);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(FakeServer.Patience));
    }

    [Fact]
    public async Task Messages_are_ordered_by_numeric_sequence_and_a_replayed_one_is_skipped()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("lobby");
        var seen = new Recorder<string>();
        room.OnMessage(message => seen.Add(message.Offset));
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(8)));
        await connection.SendAsync(RoomFrames.Message(Lobby, 9, "e", 1));
        await connection.SendAsync(RoomFrames.Message(Lobby, 9, "e", 1));
        await connection.SendAsync(RoomFrames.Message(Lobby, 10, "e", 1));
        await seen.WaitForCountAsync(2, "r1-9 and r1-10");
        await connection.SendAsync(RoomFrames.Message(Lobby, 11, "e", 1));
        await seen.WaitForCountAsync(3, "r1-11");
        Assert.Equal(["r1-9", "r1-10", "r1-11"], seen.Items);
    }

    [Fact]
    public async Task Presence_state_and_diffs_keep_the_view_and_raise_presence_changed()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("lobby");
        var changes = new Recorder<PresenceChangedEventArgs>();
        room.PresenceChanged += (_, e) => changes.Add(e);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        await connection.SendAsync(RoomFrames.PresenceState(Lobby,
            RoomFrames.Entry("alice", "1", new { name = "Alice", status = "online" }),
            RoomFrames.Entry("alice", "2", new { name = "Alice", status = "away" }),
            RoomFrames.Entry("bob", "3", new { name = "Bob", status = "online" })));
        await changes.WaitForCountAsync(1, "the presence state");

        var sync = changes.Items[0];
        Assert.True(sync.IsSync);
        Assert.Equal(["alice/1", "alice/2", "bob/3"], sync.Joins.Select(Id));
        Assert.Empty(sync.Leaves);
        Assert.Equal(["alice", "bob"], room.Presence.Keys.Order());
        Assert.Equal(2, room.Presence["alice"].Count);
        Assert.Equal(new Member("Bob", "online"), room.Presence["bob"][0].GetState<Member>());

        // Bob leaves, Carol joins, Alice's first entry is updated (its old version leaves, the new one joins).
        await connection.SendAsync(RoomFrames.PresenceDiff(Lobby,
            joins: [RoomFrames.Entry("carol", "4", new { name = "Carol", status = "online" }), RoomFrames.Entry("alice", "1", new { name = "Alice", status = "busy" })],
            leaves: [RoomFrames.Entry("bob", "3", new { name = "Bob", status = "online" }), RoomFrames.Entry("alice", "1", new { name = "Alice", status = "online" })]));
        await changes.WaitForCountAsync(2, "the diff");

        var diff = changes.Items[1];
        Assert.False(diff.IsSync);
        Assert.Equal(["carol/4", "alice/1"], diff.Joins.Select(Id));
        Assert.Equal(["bob/3", "alice/1"], diff.Leaves.Select(Id));
        Assert.Equal("online", diff.Leaves[1].GetState<Member>().Status);
        Assert.Equal(["alice", "carol"], room.Presence.Keys.Order());
        Assert.Equal(["away", "busy"], room.Presence["alice"].Select(e => e.GetState<Member>().Status).Order());
        Assert.Same(room.Presence, diff.Presence);

        // A leave of an entry never seen changes nothing and raises nothing.
        await connection.SendAsync(RoomFrames.PresenceDiff(Lobby, joins: [], leaves: [RoomFrames.Entry("zed", "9", new { })]));
        await connection.SendAsync(RoomFrames.PresenceDiff(Lobby, joins: [], leaves: [RoomFrames.Entry("carol", "4", new { })]));
        await changes.WaitForCountAsync(3, "carol leaving");
        Assert.Equal(["carol/4"], changes.Items[2].Leaves.Select(Id));
        Assert.Equal(["alice"], room.Presence.Keys);
    }

    [Fact]
    public async Task Track_is_sent_once_subscribed_updates_replace_it_and_untrack_sends_null()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("lobby");
        await room.TrackAsync(new Member("Me", "online"), key: "me");
        Assert.True(room.IsTracking);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));

        var track = await connection.ReceiveAsync();
        Assert.Equal("presence", (string?)track["type"]);
        Assert.Equal(Lobby, (string?)track["channel"]);
        Assert.Equal("me", (string?)track["key"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"name":"Me","status":"online"}"""), track["state"]));

        await room.TrackAsync(new { status = "away" });
        var update = await connection.ReceiveAsync();
        Assert.Null(update["key"]);
        Assert.Equal("away", (string?)update["state"]!["status"]);

        await room.UntrackAsync();
        Assert.False(room.IsTracking);
        var untrack = await connection.ReceiveAsync();
        Assert.Equal("presence", (string?)untrack["type"]);
        Assert.True(untrack.ContainsKey("state"));
        Assert.Null(untrack["state"]);

        await Assert.ThrowsAsync<ArgumentException>(() => room.TrackAsync("not an object"));
        await Assert.ThrowsAsync<ArgumentException>(() => room.TrackAsync(new { }, key: new string('k', 101)));
    }

    [Fact]
    public async Task After_a_reconnect_the_room_resumes_since_its_last_offset_re_tracks_and_rebuilds_presence()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("lobby");
        var messages = new Recorder<string>();
        room.OnMessage(message => messages.Add(message.Offset));
        var changes = new Recorder<PresenceChangedEventArgs>();
        room.PresenceChanged += (_, e) => changes.Add(e);
        await client.StartAsync();

        var first = await server.NextConnectionAsync();
        await first.ReceiveSubscribeAsync();
        await first.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        await first.SendAsync(RoomFrames.PresenceState(Lobby,
            RoomFrames.Entry("alice", "1", new { name = "Alice" }), RoomFrames.Entry("bob", "2", new { name = "Bob" })));
        await room.TrackAsync(new { name = "Me" }, key: "me");
        Assert.Equal("presence", (string?)(await first.ReceiveAsync())["type"]);
        await first.SendAsync(RoomFrames.PresenceDiff(Lobby, joins: [RoomFrames.Entry("me", "3", new { name = "Me" })], leaves: []));
        for (var i = 1; i <= 3; i++)
            await first.SendAsync(RoomFrames.Message(Lobby, i, "chat", i));
        await messages.WaitForCountAsync(3, "three messages");
        await changes.WaitForCountAsync(2, "the state and my join");
        first.Abort();

        var second = await server.NextConnectionAsync();
        var resubscribe = await second.ReceiveSubscribeAsync();
        Assert.Equal(Lobby, (string?)resubscribe["channel"]);
        Assert.Equal(RoomFrames.Offset(3), (string?)resubscribe["since"]);
        await second.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(3)));

        // The last tracked state is tracked again on the new connection, without the app doing anything.
        var retrack = await second.ReceiveAsync();
        Assert.Equal("presence", (string?)retrack["type"]);
        Assert.Equal("me", (string?)retrack["key"]);
        Assert.Equal("Me", (string?)retrack["state"]!["name"]);

        // Messages published while away are replayed; the presence view is rebuilt from the new state: Bob left meanwhile,
        // Carol came, Alice stayed, and this client's entry has the new connection's ref.
        await second.SendAsync(RoomFrames.Message(Lobby, 4, "chat", 4));
        await second.SendAsync(RoomFrames.PresenceState(Lobby,
            RoomFrames.Entry("alice", "1", new { name = "Alice" }), RoomFrames.Entry("carol", "5", new { name = "Carol" }),
            RoomFrames.Entry("me", "6", new { name = "Me" })));
        await messages.WaitForCountAsync(4, "the replayed message");
        await changes.WaitForCountAsync(3, "the rebuilt presence");

        Assert.Equal(["r1-1", "r1-2", "r1-3", "r1-4"], messages.Items);
        var rebuilt = changes.Items[2];
        Assert.True(rebuilt.IsSync);
        Assert.Equal(["carol/5", "me/6"], rebuilt.Joins.Select(Id).Order());
        Assert.Equal(["bob/2", "me/3"], rebuilt.Leaves.Select(Id).Order());
        Assert.Equal(["alice", "carol", "me"], room.Presence.Keys.Order());
        Assert.Equal("6", room.Presence["me"].Single().Ref);
    }

    [Fact]
    public async Task Resync_required_resubscribes_from_the_present_and_reports_the_gap()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("lobby");
        var order = new Recorder<string>();
        room.OnMessage(message => order.Add(message.Offset));
        room.ResyncRequired += (_, e) => order.Add($"resync after {e.LostAfter}: {e.Reason}");
        await room.TrackAsync(new { name = "Me" });
        await client.StartAsync();

        var first = await server.NextConnectionAsync();
        await first.ReceiveSubscribeAsync();
        await first.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        await first.ReceiveAsync();
        await first.SendAsync(RoomFrames.Message(Lobby, 1, "chat", 1));
        await order.WaitForCountAsync(1, "the first message");
        first.Abort();

        // The server restarted (a new epoch): the resume is refused.
        var second = await server.NextConnectionAsync();
        Assert.Equal(RoomFrames.Offset(1), (string?)(await second.ReceiveSubscribeAsync())["since"]);
        await second.SendAsync(new { type = "resync_required", channel = Lobby, error = "the offset is from another epoch" });
        var again = await second.ReceiveSubscribeAsync();
        Assert.Null(again["since"]);
        Assert.Null(again["snapshot"]);
        await second.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0, epoch: 2)));
        Assert.Equal("presence", (string?)(await second.ReceiveAsync())["type"]);
        await second.SendAsync(JsonSerializer.Serialize(new { type = "broadcast", channel = Lobby, offset = "r2-1", @event = "chat", payload = 2 }));
        await order.WaitForCountAsync(3, "the resync report and the next message");

        Assert.Equal(["r1-1", "resync after r1-1: the offset is from another epoch", "r2-1"], order.Items);
        Assert.Equal("r2-1", room.LastOffset);
    }

    [Fact]
    public async Task A_broadcast_awaiting_its_ack_fails_when_the_connection_is_lost()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("lobby");
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        var pending = room.BroadcastAsync("chat", "hi", new BroadcastOptions { Ack = true });
        await connection.ReceiveAsync();
        connection.Abort();

        var lost = await Assert.ThrowsAsync<SluiceException>(() => pending.WaitAsync(FakeServer.Patience));
        Assert.Equal(ClientErrorCodes.ConnectionLost, lost.Code);
        await server.NextConnectionAsync();
    }

    [Fact]
    public async Task A_refused_room_subscription_fails_waiters_with_the_server_code()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("org-2:secret");
        var waiting = room.WaitUntilSubscribedAsync();
        var publishing = room.BroadcastAsync("chat", "hi");
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(Frames.Error("room:org-2:secret", "forbidden", "this room is private"));

        Assert.Equal("forbidden", (await Assert.ThrowsAsync<SluiceException>(() => waiting.WaitAsync(FakeServer.Patience))).Code);
        Assert.Equal("forbidden", (await Assert.ThrowsAsync<SluiceException>(() => publishing.WaitAsync(FakeServer.Patience))).Code);
        Assert.Equal("forbidden", (await Assert.ThrowsAsync<SluiceException>(() => room.WaitUntilSubscribedAsync())).Code);
    }

    [Fact]
    public async Task Disposing_a_room_stops_delivery_ends_streams_forgets_presence_and_unsubscribes()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("lobby");
        var seen = new Recorder<string>();
        room.OnMessage(message => seen.Add(message.Offset));
        var reading = TestClients.ReadAllAsync(room.ReadMessagesAsync<JsonElement>(), static _ => { });
        await room.TrackAsync(new { name = "Me" });
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        Assert.Equal("presence", (string?)(await connection.ReceiveAsync())["type"]);
        await connection.SendAsync(RoomFrames.PresenceState(Lobby, RoomFrames.Entry("alice", "1", new { name = "Alice" })));
        await connection.SendAsync(RoomFrames.Message(Lobby, 1, "chat", 1));
        await seen.WaitForCountAsync(1, "the message");
        await TestClients.EventuallyAsync(() => room.Presence.Count == 1, "the presence view");

        await room.DisposeAsync();
        var unsubscribe = await connection.ReceiveAsync();
        Assert.Equal("unsubscribe", (string?)unsubscribe["type"]);
        Assert.Equal(Lobby, (string?)unsubscribe["channel"]);
        await reading.WaitAsync(FakeServer.Patience);
        Assert.False(room.IsTracking);
        Assert.Empty(room.Presence);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => room.BroadcastAsync("chat", 1));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => room.TrackAsync(new { }));

        // Nothing more reaches the disposed room; the room can be joined again.
        await connection.SendAsync(RoomFrames.Message(Lobby, 2, "chat", 2));
        var again = client.Room("lobby");
        var seenAgain = new Recorder<string>();
        again.OnMessage(message => seenAgain.Add(message.Offset));
        Assert.Null((await connection.ReceiveSubscribeAsync())["since"]);
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(2)));
        await connection.SendAsync(RoomFrames.Message(Lobby, 3, "chat", 3));
        await seenAgain.WaitForCountAsync(1, "the message on the new room");
        Assert.Equal(["r1-1"], seen.Items);
        Assert.Equal(["r1-3"], seenAgain.Items);
    }

    [Fact]
    public async Task A_throwing_presence_handler_is_reported_and_delivery_goes_on()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        var room = client.Room("lobby");
        room.PresenceChanged += (_, _) => throw new InvalidOperationException("boom");
        var seen = new Recorder<int>();
        room.On<int>("n", seen.Add);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        await connection.SendAsync(RoomFrames.PresenceState(Lobby));
        await connection.SendAsync(RoomFrames.Message(Lobby, 1, "n", 42));
        await seen.WaitForCountAsync(1, "the message after the throwing handler");
        await errors.WaitForCountAsync(1, "the handler error");
        Assert.Equal(ClientErrorCodes.HandlerFailed, errors.Items[0].Code);
        Assert.Equal([42], seen.Items);
    }

    [Fact]
    public async Task A_full_buffer_pauses_the_room_and_resumes_from_the_last_buffered_offset_without_loss()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server, options => options.ChannelBufferCapacity = 4);
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        using var gate = new SemaphoreSlim(0);
        var room = client.Room("lobby");
        var handled = new Recorder<int>();
        room.On<int>("n", async n =>
        {
            await gate.WaitAsync();
            handled.Add(n);
        });
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        for (var i = 1; i <= 30; i++)
            await connection.SendAsync(RoomFrames.Message(Lobby, i, "n", i));
        await errors.WaitForAsync(e => e.Any(x => x.Code == ClientErrorCodes.BufferOverflow), "the overflow report");
        gate.Release(1000);

        // The room resumes on the same connection after the last message it buffered (again if the replay overflows too);
        // the server replays the rest each time.
        var resumes = new Recorder<int>();
        var serving = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var since = (string)(await connection.ReceiveSubscribeAsync())["since"]!;
                    var from = int.Parse(since.AsSpan(since.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture);
                    resumes.Add(from);
                    await connection.SendAsync(RoomFrames.Ack(Lobby, since));
                    for (var i = from + 1; i <= 30; i++)
                        await connection.SendAsync(RoomFrames.Message(Lobby, i, "n", i));
                }
            }
            catch (Exception ex) when (ex is ClientClosedException or System.Net.WebSockets.WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The test ended.
            }
        });
        await handled.WaitForCountAsync(30, "every message");
        Assert.Equal(Enumerable.Range(1, 30), handled.Items);
        Assert.Equal(1, server.Connections);
        Assert.All(resumes.Items, from => Assert.InRange(from, 1, 29));
    }

    [Fact]
    public async Task A_payload_that_does_not_fit_the_handler_type_is_reported_and_the_next_message_is_delivered()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        var room = client.Room("lobby");
        var cursors = new Recorder<Cursor>();
        room.On<Cursor>("cursor", cursors.Add);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        await connection.SendAsync(RoomFrames.Message(Lobby, 1, "cursor", "not a cursor"));
        await connection.SendAsync(RoomFrames.Message(Lobby, 2, "cursor", new { x = 1, y = 1 }));
        await cursors.WaitForCountAsync(1, "the valid cursor");
        await errors.WaitForCountAsync(1, "the deserialization error");
        Assert.Equal(ClientErrorCodes.DeserializationFailed, errors.Items[0].Code);
        Assert.Equal(Lobby, errors.Items[0].Channel);
    }

    [Fact]
    public async Task A_resync_is_reported_in_order_even_when_the_buffer_is_full()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server, options => options.ChannelBufferCapacity = 4);
        using var gate = new SemaphoreSlim(0);
        var room = client.Room("lobby");
        var entered = new Recorder<int>();
        var order = new Recorder<string>();
        room.On<int>("n", async n =>
        {
            entered.Add(n);
            await gate.WaitAsync();
            order.Add($"{n}");
        });
        room.ResyncRequired += (_, e) => order.Add($"resync after {e.LostAfter}");
        await client.StartAsync();

        // One message in the blocked handler and four in the buffer: the buffer is full.
        var first = await server.NextConnectionAsync();
        await first.ReceiveSubscribeAsync();
        await first.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0)));
        await first.SendAsync(RoomFrames.Message(Lobby, 1, "n", 1));
        await entered.WaitForCountAsync(1, "the handler holding the first message");
        for (var i = 2; i <= 5; i++)
            await first.SendAsync(RoomFrames.Message(Lobby, i, "n", i));
        await TestClients.EventuallyAsync(() => room.LastOffset == RoomFrames.Offset(5), "five messages taken in");
        first.Abort();

        var second = await server.NextConnectionAsync();
        Assert.Equal(RoomFrames.Offset(5), (string?)(await second.ReceiveSubscribeAsync())["since"]);
        await second.SendAsync(new { type = "resync_required", channel = Lobby, error = "history gone" });
        Assert.Null((await second.ReceiveSubscribeAsync())["since"]);
        await second.SendAsync(RoomFrames.Ack(Lobby, RoomFrames.Offset(0, epoch: 2)));
        gate.Release(1000);

        await order.WaitForCountAsync(6, "five messages and the resync report");
        Assert.Equal(["1", "2", "3", "4", "5", "resync after r1-5"], order.Items);
    }

    private static string Id(PresenceEntry entry) => $"{entry.Key}/{entry.Ref}";
}
