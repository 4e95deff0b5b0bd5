using System.Net.WebSockets;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Limits;

public sealed class ConnectionsPerAddressTests(PostgresFixture postgres) : LimitsServerTest(postgres)
{
    protected override string[] ServerArgs =>
    [
        "--max-connections-per-ip", "2",
        "--max-message-bytes", "4096",
        "--messages-per-second", "5", "--message-burst", "5", "--refused-messages-before-close", "5",
    ];

    [Fact]
    public async Task The_connection_over_the_limit_is_refused_and_one_is_admitted_again_after_another_closes()
    {
        var first = await ConnectAdmittedAsync();
        var second = await ConnectAdmittedAsync();

        var third = await ConnectAsync();
        await AssertRefusedForTooManyConnectionsAsync(third);

        // The refused connection did not count, and the admitted ones work.
        Assert.Equal("heartbeat", (await FirstReplyToHeartbeatAsync(second)).GetProperty("type").GetString());
        await first.DisposeAsync();

        var fourth = await ConnectAdmittedAsync();
        Assert.Equal("heartbeat", (await FirstReplyToHeartbeatAsync(fourth)).GetProperty("type").GetString());
        await AssertRefusedForTooManyConnectionsAsync(await ConnectAsync());
    }

    [Fact]
    public async Task Every_way_a_connection_ends_gives_its_place_back()
    {
        // Closed by the client.
        await (await ConnectAdmittedAsync()).DisposeAsync();

        // Cut off by the client without a close handshake.
        await ConnectAdmittedAndAbortAsync();

        // Closed by the server for an oversized frame.
        var oversized = await ConnectAdmittedAsync();
        await oversized.SendTextAsync("{\"type\":\"heartbeat\",\"pad\":\"" + new string('x', 5000) + "\"}");
        Assert.Equal(ErrorCodes.MessageTooLarge, (await oversized.NextAsync()).GetProperty("code").GetString());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await oversized.WaitForCloseAsync());

        // Closed by the server for flooding.
        var flooder = await ConnectAdmittedAsync();
        await FloodAsync(flooder, 2_000);
        Assert.Equal((WebSocketCloseStatus)CloseCodes.RateLimited, await flooder.WaitForCloseAsync());

        // Refused at connect for its token (a token without any configured key is refused, never ignored).
        await ConnectWithBadTokenAsync();

        // Refused for the limit itself.
        var holding = await ConnectAdmittedAsync();
        var alsoHolding = await ConnectAdmittedAsync();
        await AssertRefusedForTooManyConnectionsAsync(await ConnectAsync());
        await holding.DisposeAsync();
        await alsoHolding.DisposeAsync();

        // Every place came back: the full limit can be open at once again, and no more.
        var one = await ConnectAdmittedAsync();
        var two = await ConnectAdmittedAsync();
        await AssertRefusedForTooManyConnectionsAsync(await ConnectAsync());
        Assert.Equal("heartbeat", (await FirstReplyToHeartbeatAsync(one)).GetProperty("type").GetString());
        Assert.Equal("heartbeat", (await FirstReplyToHeartbeatAsync(two)).GetProperty("type").GetString());
    }

    /// <summary>An admitted connection that the client then cuts off (no receive loop: an aborted socket fails its reads).</summary>
    private async Task ConnectAdmittedAndAbortAsync()
    {
        var buffer = new Ref<byte[]>(new byte[64 * 1024]);
        for (var attempt = 0; attempt < 300; attempt++)
        {
            await using var client = await TestClient.ConnectAsync(Server.WebSocketUrl, receive: false);
            await client.SendAsync(new { type = "heartbeat", @ref = "admitted" });
            var length = await WebSocketMessages.ReceiveAsync(client.Socket, buffer);
            var admitted = length is { } n && System.Text.Encoding.UTF8.GetString(buffer.Value, 0, n).Contains("\"heartbeat\"", StringComparison.Ordinal);
            client.Socket.Abort();
            if (admitted)
                return;
            await Task.Delay(100);
        }
        throw new TimeoutException("the server did not admit a connection within 30 s");
    }

    /// <summary>A connection refused for its token, tried until the connections before it have given their places back.</summary>
    private async Task ConnectWithBadTokenAsync()
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            await using var client = await Server.ConnectAsync("?token=not-a-jwt");
            var refusal = await client.NextAsync();
            if (refusal.GetProperty("code").GetString() == ErrorCodes.InvalidToken)
            {
                Assert.Equal((WebSocketCloseStatus)CloseCodes.Unauthorized, await client.WaitForCloseAsync());
                return;
            }
            AssertError(refusal, ErrorCodes.TooManyConnections);
            await client.WaitForCloseAsync();
            await Task.Delay(100);
        }
        throw new TimeoutException("the server did not check the token within 30 s");
    }
}
