using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Client.Tests.Fakes;

/// <summary>The server's end of one client connection in a <see cref="FakeServer"/>.</summary>
public sealed class FakeConnection(WebSocket socket, string query)
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public string Query { get; } = query;

    public Task Closed => _closed.Task;

    /// <summary>The next frame the client sent, skipping heartbeats unless asked for them.</summary>
    public async Task<JsonObject> ReceiveAsync(bool skipHeartbeats = true)
    {
        using var timeout = new CancellationTokenSource(FakeServer.Patience);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
                length += result.Count;
            }
            while (!result.EndOfMessage);
            if (result.MessageType == WebSocketMessageType.Close)
                throw new ClientClosedException();
            var frame = JsonNode.Parse(buffer.AsSpan(0, length))!.AsObject();
            if (skipHeartbeats && (string?)frame["type"] == "heartbeat")
                continue;
            return frame;
        }
    }

    /// <summary>Receives the next frame and checks it is a subscribe.</summary>
    public async Task<JsonObject> ReceiveSubscribeAsync()
    {
        var frame = await ReceiveAsync();
        Assert.Equal("subscribe", (string?)frame["type"]);
        return frame;
    }

    public async Task SendAsync(string json)
    {
        await _sendLock.WaitAsync();
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public Task SendAsync(object frame) => SendAsync(JsonSerializer.Serialize(frame));

    /// <summary>Receives the client's first frame, a heartbeat with a ref, and answers it: the connection is accepted.</summary>
    public async Task<string> AcceptHandshakeAsync()
    {
        var hello = await ReceiveAsync(skipHeartbeats: false);
        Assert.Equal("heartbeat", (string?)hello["type"]);
        var reference = (string?)hello["ref"];
        Assert.False(string.IsNullOrEmpty(reference), $"the first heartbeat has no ref: {hello.ToJsonString()}");
        await SendAsync(new { type = "heartbeat", @ref = reference });
        return reference!;
    }

    /// <summary>Refuses the connection as the server does at connect: an <c>error</c> frame, then a close.</summary>
    public async Task RefuseAsync(string code, int closeStatus)
    {
        await SendAsync(new { type = "error", code, error = $"refused: {code}" });
        await CloseAsync(closeStatus, code);
    }

    public Task AckAsync(string channel) => SendAsync(Frames.Ack(channel));

    public async Task CloseAsync(int code, string reason)
    {
        try
        {
            await socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, CancellationToken.None);
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    /// <summary>Drops the TCP connection without a close handshake.</summary>
    public void Abort()
    {
        try
        {
            socket.Abort();
        }
        catch (ObjectDisposedException)
        {
            // The request already ended.
        }
        _closed.TrySetResult();
    }
}

/// <summary>The client closed its end of a <see cref="FakeConnection"/> with a close handshake.</summary>
public sealed class ClientClosedException() : Exception("the client closed the connection");
