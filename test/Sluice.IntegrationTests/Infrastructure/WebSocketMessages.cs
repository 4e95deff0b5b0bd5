using System.Net.WebSockets;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>Reads whole WebSocket messages into a growing buffer, and ends test clients' sockets.</summary>
public static class WebSocketMessages
{
    /// <summary>The next whole message (its length in <paramref name="buffer"/>), or null when the peer closed.</summary>
    public static async Task<int?> ReceiveAsync(WebSocket socket, Ref<byte[]> buffer)
    {
        var length = 0;
        WebSocketReceiveResult result;
        do
        {
            if (length == buffer.Value.Length)
            {
                var larger = buffer.Value;
                Array.Resize(ref larger, larger.Length * 2);
                buffer.Value = larger;
            }
            result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer.Value, length, buffer.Value.Length - length), CancellationToken.None);
            length += result.Count;
        }
        while (!result.EndOfMessage);
        return result.MessageType == WebSocketMessageType.Close ? null : length;
    }

    /// <summary>Closes the socket with a normal close (waiting at most 5 s for the handshake), disposes it, then awaits its receive loop.</summary>
    public static async ValueTask CloseAndDisposeAsync(WebSocket socket, Task receiver)
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        socket.Dispose();
        await receiver;
    }
}
