using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Rooms;

/// <summary><c>Sluice:Limits:MaxChannelsPerConnection</c> counts table and room channels together.</summary>
public sealed class RoomChannelLimitTests(PostgresFixture postgres) : RoomTest(postgres)
{
    protected override string[] RoomArgs => ["--max-channels", "2"];

    [Fact]
    public async Task Rooms_and_tables_share_the_channel_limit()
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        await using var client = await Server.ConnectAsync();
        await client.SubscribeAsync("table:public.items");
        await JoinAsync(client, "room:a");

        await client.SendAsync(new { type = "subscribe", channel = "room:b" });
        Assert.Equal("room:b", (await ExpectErrorAsync(client, ErrorCodes.TooManyChannels)).GetProperty("channel").GetString());
        await client.SendAsync(new { type = "subscribe", channel = "table:public.items" });
        await ExpectAsync(client, "ack");
        await JoinAsync(client, "room:a");

        await client.SendAsync(new { type = "unsubscribe", channel = "table:public.items" });
        await ExpectAsync(client, "unsubscribed");
        await JoinAsync(client, "room:b");
        await client.SendAsync(new { type = "subscribe", channel = "table:public.items" });
        await ExpectErrorAsync(client, ErrorCodes.TooManyChannels);

        await client.SendAsync(new { type = "unsubscribe", channel = "room:a" });
        await ExpectAsync(client, "unsubscribed");
        await client.SubscribeAsync("table:public.items");
    }
}
