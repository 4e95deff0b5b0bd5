using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Limits;

public sealed class ChannelLimitTests(PostgresFixture postgres) : LimitsServerTest(postgres)
{
    protected override string[] ServerArgs => ["--max-channels", "3"];

    [Fact]
    public async Task A_subscribe_over_the_limit_is_refused_and_the_connection_stays_usable()
    {
        foreach (var table in new[] { "t1", "t2", "t3", "t4" })
            await CreateTableAsync(table);
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.t1");
        await client.SubscribeAsync("table:public.t2");
        await client.SubscribeAsync("table:public.t3");

        await client.SendAsync(new { type = "subscribe", channel = "table:public.t4" });
        var refusal = await client.NextAsync();
        AssertError(refusal, "too_many_channels");
        Assert.Equal("table:public.t4", refusal.GetProperty("channel").GetString());

        // Subscribing again to a channel it has replaces the subscription, so it is allowed at the limit.
        await client.SubscribeAsync("table:public.t1", filter: "id=gt.100");

        // The existing subscriptions still deliver, and the refused one does not.
        await Database.ExecuteAsync("INSERT INTO t4 VALUES (1, 'not subscribed', 1)");
        await Database.ExecuteAsync("INSERT INTO t2 VALUES (1, 'subscribed', 1)");
        var change = await client.NextChangeAsync();
        Assert.Equal("table:public.t2", change.GetProperty("channel").GetString());

        // After an unsubscribe there is room again.
        await client.SendAsync(new { type = "unsubscribe", channel = "table:public.t3" });
        Assert.Equal("unsubscribed", (await client.NextAsync()).GetProperty("type").GetString());
        await client.SubscribeAsync("table:public.t4");
        await Database.ExecuteAsync("INSERT INTO t4 VALUES (2, 'now subscribed', 1)");
        Assert.Equal("now subscribed", (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("name").GetString());
    }

    [Fact]
    public async Task The_limit_is_per_connection()
    {
        foreach (var table in new[] { "t1", "t2", "t3", "t4" })
            await CreateTableAsync(table);
        var first = await ConnectAsync();
        var second = await ConnectAsync();
        foreach (var table in new[] { "t1", "t2", "t3" })
        {
            await first.SubscribeAsync($"table:public.{table}");
            await second.SubscribeAsync($"table:public.{table}");
        }
        await first.SendAsync(new { type = "subscribe", channel = "table:public.t4" });
        AssertError(await first.NextAsync(), "too_many_channels");

        await second.SendAsync(new { type = "unsubscribe", channel = "table:public.t1" });
        Assert.Equal("unsubscribed", (await second.NextAsync()).GetProperty("type").GetString());
        await second.SubscribeAsync("table:public.t4");
    }
}
