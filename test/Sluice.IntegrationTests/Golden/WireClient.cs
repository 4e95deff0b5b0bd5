using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Golden;

/// <summary>One message from the server exactly as it arrived: a text or binary message, or the close frame.</summary>
public sealed record WireFrame(WebSocketMessageType Type, byte[] Bytes, WebSocketCloseStatus? CloseStatus = null, string? CloseDescription = null)
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    /// <summary>A text message as UTF-8.</summary>
    public string Text => Encoding.UTF8.GetString(Bytes);

    /// <summary>
    /// The transcript form: a text message as is; a close as <c>[close CODE "REASON"]</c>; a binary message as
    /// <c>[binary HEADER] REST</c>, the header of a Phoenix binary kind in hex (7 bytes for kind 3, 5 for kinds 0 and 4,
    /// none otherwise) and the rest as UTF-8 when it is printable UTF-8, else <c>hex:…</c>.
    /// </summary>
    public string Render()
    {
        if (Type == WebSocketMessageType.Text)
            return Text;
        if (Type == WebSocketMessageType.Close)
            return $"[close {(int?)CloseStatus} \"{CloseDescription}\"]";
        var header = Bytes.Length == 0 ? 0 : Math.Min(Bytes.Length, Bytes[0] switch { 3 => 7, 0 or 4 => 5, _ => 0 });
        var rest = Bytes.AsSpan(header);
        string restText;
        try
        {
            restText = Strict.GetString(rest);
            if (restText.Any(char.IsControl))
                restText = "hex:" + Hex(rest.ToArray());
        }
        catch (DecoderFallbackException)
        {
            restText = "hex:" + Hex(rest.ToArray());
        }
        return header == 0 ? $"[binary] {restText}" : $"[binary {Hex(Bytes.Take(header))}] {restText}";
    }

    private static string Hex(IEnumerable<byte> bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}

/// <summary>
/// A raw WebSocket client for golden transcripts: a pump reads every message (text, binary, close) as soon as it arrives,
/// so the server never waits for this client, and keeps them in order for the script.
/// </summary>
public sealed class WireClient : IAsyncDisposable
{
    private static readonly byte[] NativeServerHeartbeat = """{"type":"heartbeat"}"""u8.ToArray();

    private readonly ClientWebSocket _socket;
    private readonly Channel<WireFrame> _frames = Channel.CreateUnbounded<WireFrame>();
    private readonly bool _dropServerHeartbeats;
    private readonly Lock _heartbeatGate = new();
    private readonly Task _pump;
    private int _heartbeatsWanted;

    private WireClient(string name, ClientWebSocket socket, bool dropServerHeartbeats)
    {
        Name = name;
        _socket = socket;
        _dropServerHeartbeats = dropServerHeartbeats;
        _pump = PumpAsync();
    }

    public string Name { get; }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    /// <summary>
    /// Connects. With <paramref name="dropServerHeartbeats"/> (native protocol), the server's periodic
    /// <c>{"type":"heartbeat"}</c>, byte for byte, is dropped: it comes at any time, so it cannot be in a fixed transcript
    /// (except when asked for with <see cref="KeepNextServerHeartbeat"/>).
    /// </summary>
    public static async Task<WireClient> ConnectAsync(string name, Uri url, bool dropServerHeartbeats)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(url, CancellationToken.None);
        return new WireClient(name, socket, dropServerHeartbeats);
    }

    /// <summary>Lets the next periodic server heartbeat through to the script.</summary>
    public void KeepNextServerHeartbeat()
    {
        lock (_heartbeatGate)
            _heartbeatsWanted++;
    }

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinaryAsync(byte[] bytes) => _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Starts the close handshake; the server's answer arrives as a close frame.</summary>
    public Task CloseOutputAsync(WebSocketCloseStatus status, string description) =>
        _socket.CloseOutputAsync(status, description, CancellationToken.None);

    /// <summary>The next message; <see cref="TestClient.Patience"/> is a hang guard, not a latency assertion.</summary>
    public async Task<WireFrame> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TestClient.Patience);
        try
        {
            return await _frames.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name}: no frame from the server within {TestClient.Patience.TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"{Name}: the connection ended ({_socket.State})");
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
                WebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                        Array.Resize(ref buffer, buffer.Length * 2);
                    result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await _frames.Writer.WriteAsync(new WireFrame(WebSocketMessageType.Close, [], _socket.CloseStatus, _socket.CloseStatusDescription));
                    return;
                }
                var bytes = buffer.AsSpan(0, length).ToArray();
                if (_dropServerHeartbeats && result.MessageType == WebSocketMessageType.Text && bytes.AsSpan().SequenceEqual(NativeServerHeartbeat) && !TakeWantedHeartbeat())
                    continue;
                await _frames.Writer.WriteAsync(new WireFrame(result.MessageType, bytes));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
            // The connection broke, or DisposeAsync disposed the socket.
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    private bool TakeWantedHeartbeat()
    {
        lock (_heartbeatGate)
        {
            if (_heartbeatsWanted == 0)
                return false;
            _heartbeatsWanted--;
            return true;
        }
    }

    public ValueTask DisposeAsync() => WebSocketMessages.CloseAndDisposeAsync(_socket, _pump);
}
