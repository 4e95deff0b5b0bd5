using System.Net.WebSockets;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Limits;

public sealed class MessageSizeLimitTests(PostgresFixture postgres) : LimitsServerTest(postgres)
{
    private const int MaxMessageBytes = 4096;

    protected override string[] ServerArgs => ["--max-message-bytes", "4096"];

    /// <summary>A heartbeat frame of exactly <paramref name="bytes"/> bytes (the unknown field pads it).</summary>
    private static string HeartbeatOfSize(int bytes)
    {
        const string prefix = "{\"type\":\"heartbeat\",\"ref\":\"m\",\"pad\":\"";
        const string suffix = "\"}";
        return prefix + new string('x', bytes - prefix.Length - suffix.Length) + suffix;
    }

    [Fact]
    public async Task A_frame_of_exactly_the_maximum_size_is_handled()
    {
        var client = await ConnectAsync();
        await client.SendTextAsync(HeartbeatOfSize(MaxMessageBytes));
        Assert.Equal("heartbeat", (await client.NextAsync(skipHeartbeats: false)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_frame_one_byte_over_the_maximum_gets_message_too_large_and_close_1009()
    {
        var client = await ConnectAsync();
        await client.SendTextAsync(HeartbeatOfSize(MaxMessageBytes + 1));
        AssertError(await client.NextAsync(), ErrorCodes.MessageTooLarge);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task A_frame_sent_in_many_fragments_is_measured_whole()
    {
        var client = await ConnectAsync();
        var bytes = System.Text.Encoding.UTF8.GetBytes(HeartbeatOfSize(MaxMessageBytes * 3));
        try
        {
            for (var offset = 0; offset < bytes.Length; offset += 1000)
            {
                var count = Math.Min(1000, bytes.Length - offset);
                await client.Socket.SendAsync(bytes.AsMemory(offset, count), WebSocketMessageType.Text, offset + count == bytes.Length, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
            // The server may close before the last fragment is sent.
        }
        AssertError(await client.NextAsync(), ErrorCodes.MessageTooLarge);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitForCloseAsync());
    }
}
