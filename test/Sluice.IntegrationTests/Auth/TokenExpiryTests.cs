using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Auth;

/// <summary>
/// A token that expires pauses delivery without dropping subscriptions; a refresh continues every subscription right
/// after the last change it delivered. Short-lived tokens make it happen; the assertions are on frames only.
/// </summary>
public sealed class TokenExpiryTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    private static readonly TimeSpan ShortLifetime = TimeSpan.FromSeconds(4);

    private string ShortLivedToken() => Tokens.Hs256(expires: DateTime.UtcNow + ShortLifetime);

    private async Task WaitUntilLoggedAsync(int changes) =>
        await WaitForAsync(async () => (await Server.StatsAsync()).GetProperty("retention").GetProperty("changes").GetInt32() >= changes);

    /// <summary>Reads frames until the <c>token_expired</c> error, returning the changes that came before it.</summary>
    private static async Task<List<JsonElement>> ReadUntilExpiredAsync(TestClient client)
    {
        var changes = new List<JsonElement>();
        while (true)
        {
            var frame = await client.NextAsync();
            if (frame.GetProperty("type").GetString() == "broadcast")
            {
                changes.Add(frame);
                continue;
            }
            AssertError(frame, ErrorCodes.TokenExpired);
            return changes;
        }
    }

    [Fact]
    public async Task Changes_written_while_the_token_was_expired_arrive_exactly_once_in_order_after_the_refresh()
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        await CreateTableAsync("other", "id bigint PRIMARY KEY, name text");
        await using var client = await ConnectWithTokenAsync(ShortLivedToken());
        await client.SubscribeAsync("table:public.items");
        await client.SubscribeAsync("table:public.other", filter: "id=gt.100");
        await Database.ExecuteAsync("INSERT INTO items VALUES (1, 'before')");

        var received = await ReadUntilExpiredAsync(client);

        // Written while expired: single-row transactions, a multi-row one, and a change the filter leaves out.
        for (var id = 2; id <= 5; id++)
            await Database.ExecuteAsync("INSERT INTO items VALUES ($1, 'while expired')", (long)id);
        await Database.ExecuteAsync("BEGIN; INSERT INTO items VALUES (6, 'tx'); UPDATE items SET name = 'tx2' WHERE id = 2; INSERT INTO items VALUES (7, 'tx'); COMMIT");
        await Database.ExecuteAsync("INSERT INTO other VALUES (1, 'filtered out'), (101, 'kept')");
        await WaitUntilLoggedAsync(10);

        // Nothing is delivered while expired, and frames other than auth, heartbeat and unsubscribe are refused.
        await client.SendAsync(new { type = "subscribe", channel = "table:public.items" });
        AssertError(await client.NextAsync(), ErrorCodes.TokenExpired);
        await client.SendAsync(new { type = "heartbeat", @ref = "hb" });
        Assert.Equal("heartbeat", (await client.NextAsync(skipHeartbeats: false)).GetProperty("type").GetString());

        // A bad refresh leaves the connection paused.
        await client.SendAsync(new { type = "auth", token = "garbage" });
        AssertError(await client.NextAsync(), ErrorCodes.InvalidToken);
        await client.SendAsync(new { type = "heartbeat", @ref = "hb" });
        Assert.Equal("heartbeat", (await client.NextAsync(skipHeartbeats: false)).GetProperty("type").GetString());

        await client.SendAsync(new { type = "auth", token = Tokens.Hs256() });
        Assert.Equal("auth_ok", (await client.NextAsync()).GetProperty("type").GetString());

        var items = received.Where(frame => frame.GetProperty("channel").GetString() == "table:public.items").ToList();
        var other = new List<JsonElement>();
        while (items.Count < 8 || other.Count < 1)
        {
            var frame = await client.NextChangeAsync();
            (frame.GetProperty("channel").GetString() == "table:public.items" ? items : other).Add(frame);
        }
        await Database.ExecuteAsync("INSERT INTO items VALUES (8, 'live again')");
        items.Add(await client.NextChangeAsync());

        Assert.Equal(["1:INSERT", "2:INSERT", "3:INSERT", "4:INSERT", "5:INSERT", "6:INSERT", "2:UPDATE", "7:INSERT", "8:INSERT"],
            items.Select(frame => $"{Id(frame)}:{frame.GetProperty("payload").GetProperty("type").GetString()}"));
        var offsets = items.Select(frame => frame.GetProperty("offset").GetString()!).ToList();
        Assert.Equal(offsets.Order(StringComparer.Ordinal), offsets);
        Assert.Equal(offsets.Count, offsets.Distinct().Count());
        // tx_end marks the end of each transaction: the multi-row one ends at row 7 only.
        Assert.Equal([true, true, true, true, true, false, false, true, true], items.Select(frame => frame.TryGetProperty("tx_end", out var end) && end.GetBoolean()));
        Assert.Equal(101, Id(Assert.Single(other)));
    }

    [Fact]
    public async Task A_connection_that_expires_keeps_its_subscriptions_and_expires_again_after_a_short_refresh()
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        await CreateTableAsync("dropped", "id bigint PRIMARY KEY");
        await using var client = await ConnectWithTokenAsync(ShortLivedToken());
        await client.SubscribeAsync("table:public.items");
        await client.SubscribeAsync("table:public.dropped");
        Assert.Empty(await ReadUntilExpiredAsync(client));
        Assert.Equal(2, (await Server.StatsAsync()).GetProperty("channels").GetInt32());

        // Unsubscribing is allowed while expired.
        await client.SendAsync(new { type = "unsubscribe", channel = "table:public.dropped" });
        Assert.Equal("unsubscribed", (await client.NextAsync()).GetProperty("type").GetString());
        Assert.Equal(1, (await Server.StatsAsync()).GetProperty("channels").GetInt32());

        await client.SendAsync(new { type = "auth", token = ShortLivedToken() });
        Assert.Equal("auth_ok", (await client.NextAsync()).GetProperty("type").GetString());
        await Database.ExecuteAsync("INSERT INTO items VALUES (1, 'between')");
        var beforeSecondExpiry = await ReadUntilExpiredAsync(client);
        await Database.ExecuteAsync("INSERT INTO items VALUES (2, 'after')");
        await WaitUntilLoggedAsync(2);

        await client.SendAsync(new { type = "auth", token = Tokens.Hs256() });
        Assert.Equal("auth_ok", (await client.NextAsync()).GetProperty("type").GetString());
        var ids = beforeSecondExpiry.Select(Id).ToList();
        while (ids.Count < 2)
            ids.Add(Id(await client.NextChangeAsync()));
        Assert.Equal([1, 2], ids);
    }

    private static long Id(JsonElement frame)
    {
        var payload = frame.GetProperty("payload");
        return (payload.TryGetProperty("record", out var record) ? record : payload.GetProperty("old_record")).GetProperty("id").GetInt64();
    }
}
