using System.Buffers;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace Sluice.Bench.Baselines;

/// <summary>
/// The least a Kestrel WebSocket server can hold per idle connection: accept, then wait for the next message
/// with a zero-byte read (no buffer), answer nothing. The memory floor Sluice's own per-connection state sits on.
/// </summary>
public static class WebSocketFloor
{
    public static async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        try
        {
            while (true)
            {
                var ready = await socket.ReceiveAsync(Memory<byte>.Empty, context.RequestAborted);
                if (ready.MessageType == WebSocketMessageType.Close)
                    break;
                var discard = ArrayPool<byte>.Shared.Rent(4096);
                ValueWebSocketReceiveResult result;
                do
                    result = await socket.ReceiveAsync(discard.AsMemory(), context.RequestAborted);
                while (!result.EndOfMessage);
                ArrayPool<byte>.Shared.Return(discard);
            }

            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
    }
}
