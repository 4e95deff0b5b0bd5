using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Rooms;

/// <summary>Room broadcasts over real WebSockets: fan-out, self, acks, offsets, resume from history, resync and limits.</summary>
public sealed class RoomBroadcastTests(PostgresFixture postgres) : RoomTest(postgres)
{
    [Fact]
    public async Task A_broadcast_reaches_the_other_subscribers_and_not_the_sender_unless_self()
    {
        await using var alice = await Server.ConnectAsync();
        await using var bob = await Server.ConnectAsync();
        await using var outsider = await Server.ConnectAsync();
        await JoinAsync(alice, "room:lobby");
        await JoinAsync(bob, "room:lobby");
        await JoinAsync(outsider, "room:elsewhere");

        await PublishAsync(alice, "room:lobby", "cursor", new { x = 1, y = 2 }, ack: true, reference: "c1");
        // The sender's next frame is the ack: its own message was not delivered to it.
        var ack = await ExpectAsync(alice, "broadcast_ack");
        Assert.Equal("room:lobby", ack.GetProperty("channel").GetString());
        Assert.Equal("c1", ack.GetProperty("ref").GetString());
        var received = await ExpectMessageAsync(bob, "room:lobby", "cursor");
        Assert.Equal(ack.GetProperty("offset").GetString(), received.GetProperty("offset").GetString());
        Assert.Equal(1, received.GetProperty("payload").GetProperty("x").GetInt32());
        Assert.Equal(2, received.GetProperty("payload").GetProperty("y").GetInt32());

        // self: true delivers to the sender too, before its ack; any JSON value is a payload.
        await PublishAsync(alice, "room:lobby", "note", "just text", self: true, ack: true, reference: "c2");
        var own = await ExpectMessageAsync(alice, "room:lobby", "note");
        Assert.Equal("just text", own.GetProperty("payload").GetString());
        var ack2 = await ExpectAsync(alice, "broadcast_ack");
        Assert.Equal(own.GetProperty("offset").GetString(), ack2.GetProperty("offset").GetString());
        Assert.Equal("just text", (await ExpectMessageAsync(bob, "room:lobby", "note")).GetProperty("payload").GetString());

        // Without ack nothing comes back; bob publishing shows alice's stream continues in order.
        await PublishAsync(bob, "room:lobby", "plain", null);
        var plain = await ExpectMessageAsync(alice, "room:lobby", "plain");
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("payload").ValueKind);
        Assert.True(string.CompareOrdinal(plain.GetProperty("offset").GetString(), own.GetProperty("offset").GetString()) > 0);

        // The other room saw none of it.
        await PublishAsync(outsider, "room:elsewhere", "probe", 1, self: true);
        Assert.Equal(1, (await ExpectMessageAsync(outsider, "room:elsewhere", "probe")).GetProperty("payload").GetInt32());
    }

    [Fact]
    public async Task Since_replays_exactly_the_missed_messages_then_live_ones()
    {
        await using var publisher = await Server.ConnectAsync();
        await JoinAsync(publisher, "room:chat");
        var first = await PublishAckedAsync(publisher, "room:chat", "msg", new { n = 1 }, "1");
        await PublishAckedAsync(publisher, "room:chat", "msg", new { n = 2 }, "2");
        await PublishAckedAsync(publisher, "room:chat", "msg", new { n = 3 }, "3");

        await using var late = await Server.ConnectAsync();
        var (ack, _) = await JoinAsync(late, "room:chat", since: first);
        Assert.Equal(first, ack.GetProperty("offset").GetString());
        Assert.Equal(2, (await ExpectMessageAsync(late, "room:chat", "msg")).GetProperty("payload").GetProperty("n").GetInt32());
        var third = await ExpectMessageAsync(late, "room:chat", "msg");
        Assert.Equal(3, third.GetProperty("payload").GetProperty("n").GetInt32());

        await PublishAckedAsync(publisher, "room:chat", "msg", new { n = 4 }, "4");
        Assert.Equal(4, (await ExpectMessageAsync(late, "room:chat", "msg")).GetProperty("payload").GetProperty("n").GetInt32());

        // Resuming from the newest offset replays nothing: the next frame is the next live message.
        await using var current = await Server.ConnectAsync();
        var (currentAck, _) = await JoinAsync(current, "room:chat");
        await using var resumed = await Server.ConnectAsync();
        await JoinAsync(resumed, "room:chat", since: currentAck.GetProperty("offset").GetString());
        await PublishAckedAsync(publisher, "room:chat", "msg", new { n = 5 }, "5");
        Assert.Equal(5, (await ExpectMessageAsync(resumed, "room:chat", "msg")).GetProperty("payload").GetProperty("n").GetInt32());
        Assert.Equal(5, (await ExpectMessageAsync(current, "room:chat", "msg")).GetProperty("payload").GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task The_ack_offset_of_a_fresh_subscription_resumes_without_loss()
    {
        await using var listener = await Server.ConnectAsync();
        var (ack, _) = await JoinAsync(listener, "room:feed");
        var start = ack.GetProperty("offset").GetString();

        await using var publisher = await Server.ConnectAsync();
        await JoinAsync(publisher, "room:feed");
        await PublishAckedAsync(publisher, "room:feed", "a", 1, "a");
        await PublishAckedAsync(publisher, "room:feed", "b", 2, "b");

        await using var resumed = await Server.ConnectAsync();
        await JoinAsync(resumed, "room:feed", since: start);
        await ExpectMessageAsync(resumed, "room:feed", "a");
        await ExpectMessageAsync(resumed, "room:feed", "b");
    }

    [Fact]
    public async Task Offsets_outside_the_history_get_resync_required()
    {
        await using var publisher = await Server.ConnectAsync();
        await JoinAsync(publisher, "room:busy");
        var offsets = new List<string>();
        for (var i = 0; i < HistoryMessages + 2; i++)
            offsets.Add(await PublishAckedAsync(publisher, "room:busy", "tick", i, "t" + i));

        await using var client = await Server.ConnectAsync();
        // Too old: the history keeps the last three, so messages after the first have been evicted.
        await client.SendAsync(new { type = "subscribe", channel = "room:busy", since = offsets[0] });
        var resync = await ExpectAsync(client, "resync_required");
        Assert.Equal("room:busy", resync.GetProperty("channel").GetString());

        // Another epoch (an earlier run of the server), or a sequence never issued.
        var current = offsets[^1];
        var dash = current.IndexOf('-', StringComparison.Ordinal);
        var epoch = current[1..dash];
        var otherEpoch = (epoch == "00000000" ? "00000001" : "00000000") + current[dash..];
        await client.SendAsync(new { type = "subscribe", channel = "room:busy", since = "r" + otherEpoch });
        await ExpectAsync(client, "resync_required");
        await client.SendAsync(new { type = "subscribe", channel = "room:busy", since = $"r{epoch}-7fffffffffffffff" });
        await ExpectAsync(client, "resync_required");

        // Not an offset at all.
        await client.SendAsync(new { type = "subscribe", channel = "room:busy", since = "garbage" });
        await ExpectErrorAsync(client, ErrorCodes.InvalidOffset);

        // The oldest kept message's predecessor is still resumable: exactly the last three.
        await JoinAsync(client, "room:busy", since: offsets[1]);
        for (var i = 2; i < HistoryMessages + 2; i++)
            Assert.Equal(i, (await ExpectMessageAsync(client, "room:busy", "tick")).GetProperty("payload").GetInt32());
    }

    [Fact]
    public async Task Bad_room_frames_get_precise_errors_and_the_connection_stays_usable()
    {
        await using var client = await Server.ConnectAsync();

        await PublishAsync(client, "room:lobby", "e", 1, reference: "r1");
        var notSubscribed = await ExpectErrorAsync(client, ErrorCodes.NotSubscribed);
        Assert.Equal("r1", notSubscribed.GetProperty("ref").GetString());
        await TrackAsync(client, "room:lobby", new { online = true });
        await ExpectErrorAsync(client, ErrorCodes.NotSubscribed);
        await client.SendAsync(new { type = "unsubscribe", channel = "room:lobby" });
        await ExpectErrorAsync(client, ErrorCodes.NotSubscribed);

        await client.SendAsync(new { type = "subscribe", channel = "room:bad name" });
        await ExpectErrorAsync(client, ErrorCodes.InvalidChannel);
        await client.SendAsync(new { type = "subscribe", channel = "room:" + new string('a', 201) });
        await ExpectErrorAsync(client, ErrorCodes.InvalidChannel);
        await client.SendAsync(new { type = "subscribe", channel = "room:lobby", snapshot = true });
        await ExpectErrorAsync(client, ErrorCodes.InvalidField);
        await PublishAsync(client, "table:public.items", "e", 1);
        await ExpectErrorAsync(client, ErrorCodes.InvalidChannel);

        await JoinAsync(client, "room:lobby");
        await client.SendTextAsync("""{"type":"broadcast","channel":"room:lobby","payload":1,"ref":"r2"}""");
        Assert.Equal("r2", (await ExpectErrorAsync(client, ErrorCodes.MissingField)).GetProperty("ref").GetString());
        await client.SendTextAsync("""{"type":"broadcast","channel":"room:lobby","event":"e"}""");
        await ExpectErrorAsync(client, ErrorCodes.MissingField);
        await PublishAsync(client, "room:lobby", new string('e', 101), 1);
        await ExpectErrorAsync(client, ErrorCodes.InvalidField);
        await client.SendTextAsync("""{"type":"broadcast","channel":"room:lobby","event":"e","payload":1,"self":"yes"}""");
        await ExpectErrorAsync(client, ErrorCodes.InvalidField);
        await client.SendTextAsync("""{"type":"presence","channel":"room:lobby"}""");
        await ExpectErrorAsync(client, ErrorCodes.MissingField);
        await client.SendTextAsync("""{"type":"presence","channel":"room:lobby","state":[1]}""");
        await ExpectErrorAsync(client, ErrorCodes.InvalidField);

        // Limits: payload and presence state sizes.
        await PublishAsync(client, "room:lobby", "big", new string('x', MaxPayloadBytes), reference: "big");
        var tooLarge = await ExpectErrorAsync(client, ErrorCodes.PayloadTooLarge);
        Assert.Equal("big", tooLarge.GetProperty("ref").GetString());
        await TrackAsync(client, "room:lobby", new { blob = new string('x', MaxPresenceStateBytes) });
        await ExpectErrorAsync(client, ErrorCodes.PayloadTooLarge);

        // Still usable; a payload just under the limit passes.
        await PublishAsync(client, "room:lobby", "fits", new string('x', MaxPayloadBytes - 2), self: true);
        await ExpectMessageAsync(client, "room:lobby", "fits");
        await client.SendAsync(new { type = "unsubscribe", channel = "room:lobby" });
        Assert.Equal("room:lobby", (await ExpectAsync(client, "unsubscribed")).GetProperty("channel").GetString());
        await PublishAsync(client, "room:lobby", "e", 1);
        await ExpectErrorAsync(client, ErrorCodes.NotSubscribed);
    }
}
