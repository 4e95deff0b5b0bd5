using System.Net.WebSockets;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Limits;

public sealed class RateLimitTests(PostgresFixture postgres) : LimitsServerTest(postgres)
{
    private const int Burst = 5;
    private const int RefusedBeforeClose = 20;

    // The bucket refills slowly (5 frames a second), so a flood sent as fast as possible is over the limit
    // however slowly this machine runs it.
    protected override string[] ServerArgs =>
    [
        "--messages-per-second", "5", "--message-burst", Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--refused-messages-before-close", RefusedBeforeClose.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    [Fact]
    public async Task A_flooding_client_is_told_then_closed_while_another_client_keeps_receiving_changes()
    {
        await CreateTableAsync("items");
        var calm = await ConnectAsync();
        await calm.SubscribeAsync("table:public.items");

        var flooder = await ConnectAsync();
        var sent = await FloodAsync(flooder, 2_000);
        Assert.True(sent > Burst + RefusedBeforeClose, $"only {sent} frames went out before the server closed");

        // The burst is handled (heartbeats come back), then frames are refused with rate_limited, at most one error a
        // second rather than one per refused frame, then the connection is closed with 4029.
        var heartbeats = 0;
        var rateLimited = 0;
        while (true)
        {
            JsonElement frame;
            try
            {
                frame = await flooder.NextAsync(skipHeartbeats: false);
            }
            catch (InvalidOperationException)
            {
                break; // closed
            }
            if (frame.GetProperty("type").GetString() == "heartbeat")
                heartbeats++;
            else
            {
                AssertError(frame, ErrorCodes.RateLimited);
                rateLimited++;
            }
        }
        Assert.Equal((WebSocketCloseStatus)CloseCodes.RateLimited, flooder.CloseStatus);
        Assert.InRange(heartbeats, Burst, sent - RefusedBeforeClose);
        Assert.InRange(rateLimited, 1, RefusedBeforeClose - 1);

        // The other client was not affected.
        await Database.ExecuteAsync("INSERT INTO items VALUES (1, 'after the flood', 1)");
        Assert.Equal("after the flood", (await calm.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("name").GetString());
        await calm.SendAsync(new { type = "heartbeat", @ref = "r" });
        Assert.Equal("heartbeat", (await calm.NextAsync(skipHeartbeats: false)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_client_slightly_over_the_limit_is_throttled_but_stays_connected()
    {
        await CreateTableAsync("items");
        var client = await ConnectAsync();

        // One frame more than the burst: the last is refused, and the connection stays.
        for (var i = 0; i < Burst + 1; i++)
            await client.SendAsync(new { type = "heartbeat", @ref = "r" });
        for (var i = 0; i < Burst; i++)
            Assert.Equal("heartbeat", (await client.NextAsync(skipHeartbeats: false)).GetProperty("type").GetString());
        AssertError(await client.NextAsync(), ErrorCodes.RateLimited);

        // Once the bucket has refilled, frames are handled again. Refilling takes time by definition: wait more than a
        // second before each try, so that a refusal is always answered (rate_limited errors go out at most once a second).
        for (var attempt = 0; ; attempt++)
        {
            Assert.True(attempt < 20, "the connection was never admitted again");
            await Task.Delay(TimeSpan.FromSeconds(1.1));
            await client.SendAsync(new { type = "subscribe", channel = "table:public.items" });
            var reply = await client.NextAsync();
            if (reply.GetProperty("type").GetString() == "ack")
                break;
            AssertError(reply, ErrorCodes.RateLimited);
        }
        await Database.ExecuteAsync("INSERT INTO items VALUES (1, 'still connected', 1)");
        Assert.Equal("still connected", (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("name").GetString());
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }
}
