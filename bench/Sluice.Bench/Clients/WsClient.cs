using System.Net.WebSockets;
using System.Text;

namespace Sluice.Bench.Clients;

/// <summary>
/// A plain WebSocket client with one receive loop that hands every complete text message to a handler.
/// Used for Sluice (native protocol) and for the LISTEN/NOTIFY relay baseline.
/// </summary>
public sealed class WsClient : IAsyncDisposable
{
    /// <summary>Handles one message; runs on the receive loop, so it must be quick.</summary>
    public delegate void MessageHandler(ReadOnlySpan<byte> message);

    private readonly ClientWebSocket _socket;
    private readonly Task _receiver;
    private readonly MessageHandler _handler;

    private WsClient(ClientWebSocket socket, MessageHandler handler)
    {
        _socket = socket;
        _handler = handler;
        _receiver = Task.Run(ReceiveLoopAsync);
    }

    public static async Task<WsClient> ConnectAsync(Uri uri, MessageHandler handler)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return new WsClient(socket, handler);
    }

    public Task SendAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }

        _socket.Abort();
        _socket.Dispose();
        await _receiver;
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                        Array.Resize(ref buffer, buffer.Length * 2);
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                    return;
                _handler(buffer.AsSpan(0, length));
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }
}
