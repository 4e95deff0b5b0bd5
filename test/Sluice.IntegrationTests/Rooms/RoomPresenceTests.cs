using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Rooms;

/// <summary>Presence over real WebSockets: track, update, untrack, presence_state, and cleanup on unsubscribe and disconnect.</summary>
public sealed class RoomPresenceTests(PostgresFixture postgres) : RoomTest(postgres)
{
    private static JsonElement Single(JsonElement array) => Assert.Single(array.EnumerateArray().ToArray());

    [Fact]
    public async Task Track_update_and_untrack_reach_everyone_in_the_room_as_diffs()
    {
        await using var alice = await Server.ConnectAsync();
        await using var bob = await Server.ConnectAsync();
        var (_, empty) = await JoinAsync(alice, "room:team");
        Assert.Equal(0, empty.GetProperty("presences").GetArrayLength());
        await JoinAsync(bob, "room:team");

        await TrackAsync(alice, "room:team", new { status = "online" }, key: "alice");
        JsonElement joined = default;
        foreach (var client in new[] { alice, bob })
        {
            var diff = await ExpectAsync(client, "presence_diff");
            Assert.Equal("room:team", diff.GetProperty("channel").GetString());
            Assert.Equal(0, diff.GetProperty("leaves").GetArrayLength());
            joined = Single(diff.GetProperty("joins"));
            Assert.Equal("alice", joined.GetProperty("key").GetString());
            Assert.Equal("online", joined.GetProperty("state").GetProperty("status").GetString());
        }

        // An update: the old entry leaves, the new one joins, with a new ref.
        await TrackAsync(alice, "room:team", new { status = "away" }, key: "alice");
        JsonElement updated = default;
        foreach (var client in new[] { alice, bob })
        {
            var diff = await ExpectAsync(client, "presence_diff");
            var left = Single(diff.GetProperty("leaves"));
            updated = Single(diff.GetProperty("joins"));
            Assert.Equal(joined.GetProperty("ref").GetString(), left.GetProperty("ref").GetString());
            Assert.Equal("online", left.GetProperty("state").GetProperty("status").GetString());
            Assert.Equal("away", updated.GetProperty("state").GetProperty("status").GetString());
            Assert.NotEqual(joined.GetProperty("ref").GetString(), updated.GetProperty("ref").GetString());
        }

        // A newcomer gets everyone tracked now in presence_state right after its ack.
        await using var carol = await Server.ConnectAsync();
        var (_, state) = await JoinAsync(carol, "room:team");
        var present = Single(state.GetProperty("presences"));
        Assert.Equal("alice", present.GetProperty("key").GetString());
        Assert.Equal(updated.GetProperty("ref").GetString(), present.GetProperty("ref").GetString());
        Assert.Equal("away", present.GetProperty("state").GetProperty("status").GetString());

        // state: null untracks.
        await TrackAsync(alice, "room:team", null);
        foreach (var client in new[] { alice, bob, carol })
        {
            var diff = await ExpectAsync(client, "presence_diff");
            Assert.Equal(0, diff.GetProperty("joins").GetArrayLength());
            Assert.Equal(updated.GetProperty("ref").GetString(), Single(diff.GetProperty("leaves")).GetProperty("ref").GetString());
        }
        await using var dave = await Server.ConnectAsync();
        var (_, afterUntrack) = await JoinAsync(dave, "room:team");
        Assert.Equal(0, afterUntrack.GetProperty("presences").GetArrayLength());
    }

    [Fact]
    public async Task Presence_keys_default_to_the_token_subject_then_the_connection()
    {
        await using var user = await ConnectWithTokenAsync(UserToken("user-42"));
        await using var anonymous = await Server.ConnectAsync();
        await JoinAsync(user, "room:keys");
        await JoinAsync(anonymous, "room:keys");

        await TrackAsync(user, "room:keys", new { });
        Assert.Equal("user-42", Single((await ExpectAsync(user, "presence_diff")).GetProperty("joins")).GetProperty("key").GetString());
        await ExpectAsync(anonymous, "presence_diff");

        await TrackAsync(anonymous, "room:keys", new { });
        var key = Single((await ExpectAsync(anonymous, "presence_diff")).GetProperty("joins")).GetProperty("key").GetString();
        Assert.StartsWith("conn-", key, StringComparison.Ordinal);
        await ExpectAsync(user, "presence_diff");
    }

    [Fact]
    public async Task Unsubscribing_or_disconnecting_leaves_presence_and_no_state_behind()
    {
        await using var watcher = await Server.ConnectAsync();
        await JoinAsync(watcher, "room:hall");

        // Unsubscribe: the entry leaves; the leaver gets unsubscribed and no diff of its own leave.
        await using var leaver = await Server.ConnectAsync();
        await JoinAsync(leaver, "room:hall");
        await TrackAsync(leaver, "room:hall", new { n = 1 }, key: "leaver");
        var joined = Single((await ExpectAsync(watcher, "presence_diff")).GetProperty("joins"));
        await ExpectAsync(leaver, "presence_diff");
        await leaver.SendAsync(new { type = "unsubscribe", channel = "room:hall" });
        await ExpectAsync(leaver, "unsubscribed");
        var left = await ExpectAsync(watcher, "presence_diff");
        Assert.Equal(joined.GetProperty("ref").GetString(), Single(left.GetProperty("leaves")).GetProperty("ref").GetString());
        await TrackAsync(leaver, "room:hall", new { n = 2 });
        await ExpectErrorAsync(leaver, Sluice.Protocol.ErrorCodes.NotSubscribed);

        // Disconnect (without unsubscribing, in two rooms): the others see the leave.
        var dropper = await Server.ConnectAsync();
        await JoinAsync(dropper, "room:hall");
        await JoinAsync(dropper, "room:side");
        await TrackAsync(dropper, "room:hall", new { n = 3 }, key: "dropper");
        await ExpectAsync(watcher, "presence_diff");
        await ExpectAsync(dropper, "presence_diff");
        await TrackAsync(dropper, "room:side", new { n = 4 }, key: "dropper");
        await ExpectAsync(dropper, "presence_diff");
        await dropper.DisposeAsync();
        var dropped = await ExpectAsync(watcher, "presence_diff");
        Assert.Equal("dropper", Single(dropped.GetProperty("leaves")).GetProperty("key").GetString());

        await using var newcomer = await Server.ConnectAsync();
        var (_, hall) = await JoinAsync(newcomer, "room:hall");
        Assert.Equal(0, hall.GetProperty("presences").GetArrayLength());
        var (_, side) = await JoinAsync(newcomer, "room:side");
        Assert.Equal(0, side.GetProperty("presences").GetArrayLength());

        // Once everyone has gone, no room is left (no messages were published, so there is no history to keep).
        await watcher.DisposeAsync();
        await leaver.DisposeAsync();
        await newcomer.DisposeAsync();
        await WaitForAsync(async () =>
        {
            var stats = await Server.StatsAsync();
            return stats.GetProperty("rooms").GetInt32() == 0 && stats.GetProperty("room_connections").GetInt32() == 0;
        });
    }

    [Fact]
    public async Task A_resumed_subscription_gets_presence_state_then_the_missed_messages()
    {
        await using var alice = await Server.ConnectAsync();
        var (ack, _) = await JoinAsync(alice, "room:resume");
        await TrackAsync(alice, "room:resume", new { here = true }, key: "alice");
        await ExpectAsync(alice, "presence_diff");
        await PublishAckedAsync(alice, "room:resume", "m", 1, "m");

        await using var bob = await Server.ConnectAsync();
        var (_, state) = await JoinAsync(bob, "room:resume", since: ack.GetProperty("offset").GetString());
        Assert.Equal("alice", Single(state.GetProperty("presences")).GetProperty("key").GetString());
        await ExpectMessageAsync(bob, "room:resume", "m");
    }
}
