using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity.Chaos;

/// <summary>
/// A WebSocket client that notes when each frame arrived, the moment it is read off the socket (before parsing): the
/// chaos oracle needs "delivered at" to bound which policy states a delivery may have been judged by.
/// </summary>
public sealed class StampedSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<(DateTime At, JsonElement Frame)> _frames = Channel.CreateUnbounded<(DateTime, JsonElement)>();
    private Task _receiver = Task.CompletedTask;

    public static async Task<StampedSocket> ConnectAsync(Uri url)
    {
        var stamped = new StampedSocket();
        await stamped._socket.ConnectAsync(url, CancellationToken.None);
        stamped._receiver = stamped.ReceiveLoopAsync();
        return stamped;
    }

    public Task SendAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next frame and when it arrived; null once the connection is gone and every frame was read.</summary>
    public async Task<(DateTime At, JsonElement Frame)?> NextAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _frames.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Cuts the connection at once, as a network failure would: frames in flight are lost.</summary>
    public void Cut() => _socket.Abort();

    private async Task ReceiveLoopAsync()
    {
        var buffer = new Ref<byte[]>(new byte[16 * 1024]);
        try
        {
            while (await WebSocketMessages.ReceiveAsync(_socket, buffer) is { } length)
            {
                var at = DateTime.UtcNow;
                using var document = JsonDocument.Parse(buffer.Value.AsMemory(0, length));
                await _frames.Writer.WriteAsync((at, document.RootElement.Clone()));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Cut, or the server went away.
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    public ValueTask DisposeAsync() => WebSocketMessages.CloseAndDisposeAsync(_socket, _receiver);
}
