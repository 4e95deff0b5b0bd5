using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>A real WebSocket client that collects the server's frames.</summary>
public sealed class TestClient : IAsyncDisposable
{
    /// <summary>How long to wait for a frame before failing the test; a hang guard, not a latency assertion.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _frames = Channel.CreateUnbounded<JsonElement>();
    private readonly Task _receiver;

    private TestClient(ClientWebSocket socket, bool receive)
    {
        _socket = socket;
        _receiver = receive ? ReceiveLoopAsync() : Task.CompletedTask;
    }

    public WebSocket Socket => _socket;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public static async Task<TestClient> ConnectAsync(Uri url, bool receive = true, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        await socket.ConnectAsync(url, CancellationToken.None);
        return new TestClient(socket, receive);
    }

    public Task SendAsync(object frame) => SendTextAsync(JsonSerializer.Serialize(frame));

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Subscribes and waits for the ack; fails on an error frame.</summary>
    public async Task SubscribeAsync(string channel, string[]? events = null, string? filter = null)
    {
        var frame = new JsonObject { ["type"] = "subscribe", ["channel"] = channel };
        if (events is not null)
            frame["events"] = new JsonArray(events.Select(e => (JsonNode)e!).ToArray());
        if (filter is not null)
            frame["filter"] = filter;
        await SendTextAsync(frame.ToJsonString());
        var reply = await NextAsync();
        Assert.True(reply.GetProperty("type").GetString() == "ack", $"expected ack, got {reply}");
        Assert.Equal(channel, reply.GetProperty("channel").GetString());
    }

    /// <summary>The next frame that is not a heartbeat.</summary>
    public async Task<JsonElement> NextAsync(bool skipHeartbeats = true)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            JsonElement frame;
            try
            {
                frame = await _frames.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no frame from the server within {Patience.TotalSeconds} s");
            }
            catch (ChannelClosedException)
            {
                throw new InvalidOperationException($"the connection closed ({_socket.CloseStatus} {_socket.CloseStatusDescription})");
            }
            if (skipHeartbeats && frame.GetProperty("type").GetString() == "heartbeat")
                continue;
            return frame;
        }
    }

    /// <summary>The next change frame (type broadcast).</summary>
    public async Task<JsonElement> NextChangeAsync()
    {
        var frame = await NextAsync();
        Assert.True(frame.GetProperty("type").GetString() == "broadcast", $"expected a change, got {frame}");
        return frame;
    }

    /// <summary>Waits until the server has closed the connection and returns its close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitForCloseAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            while (await _frames.Reader.WaitToReadAsync(timeout.Token))
                _frames.Reader.TryRead(out _);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("the server did not close the connection");
        }
        return _socket.CloseStatus;
    }

    private async Task ReceiveLoopAsync()
    {
        // Starts small and grows for large frames: tests with a thousand clients would otherwise hold a gigabyte of buffers.
        var buffer = new Ref<byte[]>(new byte[16 * 1024]);
        try
        {
            while (await WebSocketMessages.ReceiveAsync(_socket, buffer) is { } length)
            {
                using var document = JsonDocument.Parse(buffer.Value.AsMemory(0, length));
                await _frames.Writer.WriteAsync(document.RootElement.Clone());
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
            // The connection broke, or DisposeAsync disposed the socket after a close handshake that did not finish.
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    public ValueTask DisposeAsync() => WebSocketMessages.CloseAndDisposeAsync(_socket, _receiver);
}
