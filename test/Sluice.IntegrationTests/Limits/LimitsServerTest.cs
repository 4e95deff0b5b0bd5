using System.Net.WebSockets;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Limits;

/// <summary>A server with small limits, and helpers to connect past (or into) the per-address limit.</summary>
public abstract class LimitsServerTest(PostgresFixture postgres) : ServerTest(postgres)
{
    /// <summary>Whether the connection was admitted: a heartbeat with a ref gets a heartbeat back; a refused one gets an error first.</summary>
    protected static async Task<JsonElement> FirstReplyToHeartbeatAsync(TestClient client)
    {
        await client.SendAsync(new { type = "heartbeat", @ref = "admitted" });
        return await client.NextAsync(skipHeartbeats: false);
    }

    /// <summary>
    /// Opens a connection that the server admits, retrying while it answers <c>too_many_connections</c>: a closed
    /// connection's count is released when the server has finished with it, shortly after the client sees the close.
    /// </summary>
    protected async Task<TestClient> ConnectAdmittedAsync()
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var client = await ConnectAsync();
            var reply = await FirstReplyToHeartbeatAsync(client);
            if (reply.GetProperty("type").GetString() == "heartbeat")
                return client;
            AssertError(reply, "too_many_connections");
            await client.DisposeAsync();
            await Task.Delay(100);
        }
        throw new TimeoutException("the server did not admit a connection within 30 s");
    }

    /// <summary>The connection gets <c>too_many_connections</c>, then close 1013.</summary>
    protected static async Task AssertRefusedForTooManyConnectionsAsync(TestClient client)
    {
        AssertError(await client.NextAsync(), "too_many_connections");
        Assert.Equal((WebSocketCloseStatus)Sluice.Protocol.CloseCodes.TryAgainLater, await client.WaitForCloseAsync());
    }

    protected static void AssertError(JsonElement frame, string code)
    {
        Assert.True(frame.GetProperty("type").GetString() == "error", $"expected an error {code}, got {frame}");
        Assert.Equal(code, frame.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(frame.GetProperty("error").GetString()));
    }

    /// <summary>Sends <paramref name="count"/> heartbeats as fast as possible, stopping early once the server closes or cuts the connection.</summary>
    protected static async Task<int> FloodAsync(TestClient client, int count)
    {
        var sent = 0;
        try
        {
            for (; sent < count && client.Socket.State == WebSocketState.Open; sent++)
                await client.SendTextAsync("{\"type\":\"heartbeat\",\"ref\":\"f\"}");
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
            // The server closed the connection while we were still sending.
        }
        return sent;
    }
}
