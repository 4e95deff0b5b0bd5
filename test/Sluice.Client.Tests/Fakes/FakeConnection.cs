using System.Net.WebSockets;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Sluice.Client.Tests.Fakes;

/// <summary>
/// The server's end of one client connection in a <see cref="FakeServer"/>. A reader takes the client's frames off the
/// socket as they arrive (for <see cref="ReceiveAsync"/>) and answers the client's close frame at once, as the real server
/// does, unless <see cref="AnswerClose"/> is false.
/// </summary>
public sealed class FakeConnection
{
    private readonly WebSocket _socket;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Channel<JsonObject> _received = Channel.CreateUnbounded<JsonObject>();

    public FakeConnection(WebSocket socket, string query)
    {
        _socket = socket;
        Query = query;
        _ = PumpAsync();
    }

    public string Query { get; }

    public Task Closed => _closed.Task;

    /// <summary>Whether the client's close frame is answered with a close at once (the real server's way); false leaves it unanswered until the test closes.</summary>
    public bool AnswerClose { get; set; } = true;

    /// <summary>Whether a frame of the client's has arrived that <see cref="ReceiveAsync"/> has not taken yet.</summary>
    public bool HasPendingFrame => _received.Reader.Count > 0;

    /// <summary>The next frame the client sent, skipping heartbeats unless asked for them; <see cref="ClientClosedException"/> once the client closed.</summary>
    public async Task<JsonObject> ReceiveAsync(bool skipHeartbeats = true)
    {
        using var timeout = new CancellationTokenSource(FakeServer.Patience);
        while (true)
        {
            JsonObject frame;
            try
            {
                frame = await _received.Reader.ReadAsync(timeout.Token);
            }
            catch (ChannelClosedException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }
            if (skipHeartbeats && (string?)frame["type"] == "heartbeat")
                continue;
            return frame;
        }
    }

    private async Task PumpAsync()
    {
        var buffer = new byte[64 * 1024];
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
                {
                    _received.Writer.TryComplete(new ClientClosedException());
                    if (AnswerClose && _socket.State == WebSocketState.CloseReceived)
                        await CloseAsync(1000, "");
                    return;
                }
                _received.Writer.TryWrite(JsonNode.Parse(buffer.AsSpan(0, length))!.AsObject());
            }
        }
        catch (Exception ex)
        {
            _received.Writer.TryComplete(ex);
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
            await _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);
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
            await _socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, CancellationToken.None);
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
            _socket.Abort();
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
