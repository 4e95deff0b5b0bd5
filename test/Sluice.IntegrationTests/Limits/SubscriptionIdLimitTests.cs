using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Limits;

/// <summary>Each table subscription with an id counts against <c>Sluice:Limits:MaxChannelsPerConnection</c>, like a channel.</summary>
public sealed class SubscriptionIdLimitTests(PostgresFixture postgres) : LimitsServerTest(postgres)
{
    protected override string[] ServerArgs => ["--max-channels", "2"];

    [Fact]
    public async Task Ids_count_against_the_channel_limit()
    {
        await CreateTableAsync("t1");
        var client = await ConnectAsync();
        await client.SendAsync(new { type = "subscribe", channel = "table:public.t1" });
        Assert.Equal("ack", (await client.NextAsync()).GetProperty("type").GetString());
        await client.SendAsync(new { type = "subscribe", channel = "table:public.t1", id = "a" });
        Assert.Equal("ack", (await client.NextAsync()).GetProperty("type").GetString());

        await client.SendAsync(new { type = "subscribe", channel = "table:public.t1", id = "b" });
        var refusal = await client.NextAsync();
        AssertError(refusal, "too_many_channels");
        Assert.Equal(("table:public.t1", "b"), (refusal.GetProperty("channel").GetString(), refusal.GetProperty("id").GetString()));

        // Subscribing again with an id the connection has replaces that subscription, so it is allowed at the limit.
        await client.SendAsync(new { type = "subscribe", channel = "table:public.t1", id = "a", filter = "id=gt.1" });
        var ack = await client.NextAsync();
        Assert.Equal(("ack", "a"), (ack.GetProperty("type").GetString(), ack.GetProperty("id").GetString()));

        // The refused one delivers nothing; after an unsubscribe there is room again.
        await Database.ExecuteAsync("INSERT INTO t1 VALUES (2, 'x', 1)");
        var changes = new[] { await client.NextChangeAsync(), await client.NextChangeAsync() };
        Assert.Equal([null, "a"], changes.Select(change => change.TryGetProperty("id", out var id) ? id.GetString() : null).Order(StringComparer.Ordinal));
        await client.SendAsync(new { type = "unsubscribe", channel = "table:public.t1" });
        Assert.Equal("unsubscribed", (await client.NextAsync()).GetProperty("type").GetString());
        await client.SendAsync(new { type = "subscribe", channel = "table:public.t1", id = "b" });
        var bAck = await client.NextAsync();
        Assert.Equal(("ack", "b"), (bAck.GetProperty("type").GetString(), bAck.GetProperty("id").GetString()));
    }
}
