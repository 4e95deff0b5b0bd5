using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Rooms;

/// <summary>
/// An expired token pauses room delivery like table delivery; after a refresh each room continues with a fresh
/// presence_state and the messages published meanwhile. Short-lived tokens make it happen; assertions are on frames only.
/// </summary>
public sealed class RoomTokenExpiryTests(PostgresFixture postgres) : RoomTest(postgres)
{
    [Fact]
    public async Task Room_messages_published_while_expired_arrive_after_the_refresh()
    {
        // Long enough for the set-up below to finish before the expiry even on a loaded machine (it failed once with 4 s).
        await using var client = await ConnectWithTokenAsync(Tokens.Hs256(expires: DateTime.UtcNow.AddSeconds(8)));
        await using var publisher = await ConnectWithTokenAsync(UserToken("publisher"));
        await JoinAsync(client, "room:live");
        await JoinAsync(client, "room:quiet");
        await JoinAsync(publisher, "room:live");
        await PublishAckedAsync(publisher, "room:live", "before", 0, "b");
        await ExpectMessageAsync(client, "room:live", "before");

        // Wait for the expiry; nothing else is published in the meantime.
        AssertError(await client.NextAsync(), ErrorCodes.TokenExpired);

        await PublishAckedAsync(publisher, "room:live", "during", 1, "d1");
        await PublishAckedAsync(publisher, "room:live", "during", 2, "d2");
        await TrackAsync(publisher, "room:live", new { here = true }, key: "publisher");
        await ExpectAsync(publisher, "presence_diff");

        // Nothing was delivered while expired: the heartbeat's answer is the next frame.
        await client.SendAsync(new { type = "heartbeat", @ref = "hb" });
        Assert.Equal("heartbeat", (await client.NextAsync(skipHeartbeats: false)).GetProperty("type").GetString());
        await PublishAsync(client, "room:live", "refused", 0);
        AssertError(await client.NextAsync(), ErrorCodes.TokenExpired);

        await client.SendAsync(new { type = "auth", token = Tokens.Hs256() });
        await ExpectAsync(client, "auth_ok");
        // Each room: presence_state, then exactly the missed messages (rooms in any order).
        for (var room = 0; room < 2; room++)
        {
            var state = await ExpectAsync(client, "presence_state");
            if (state.GetProperty("channel").GetString() == "room:quiet")
            {
                Assert.Equal(0, state.GetProperty("presences").GetArrayLength());
                continue;
            }
            Assert.Equal("publisher", Assert.Single(state.GetProperty("presences").EnumerateArray().ToArray()).GetProperty("key").GetString());
            Assert.Equal(1, (await ExpectMessageAsync(client, "room:live", "during")).GetProperty("payload").GetInt32());
            Assert.Equal(2, (await ExpectMessageAsync(client, "room:live", "during")).GetProperty("payload").GetInt32());
        }

        await PublishAckedAsync(publisher, "room:live", "after", 3, "a");
        await ExpectMessageAsync(client, "room:live", "after");
    }
}
