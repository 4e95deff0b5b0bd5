using System.Buffers;
using System.Net.WebSockets;

namespace Sluice.Server.Connections;

/// <summary>
/// Reads whole client messages of one WebSocket for any protocol session. Between messages it holds no buffer (it waits
/// with a zero-byte read), so idle connections cost no receive memory; a message grows a pooled buffer up to the maximum
/// size. The current message stays valid until the next read or <see cref="Dispose"/>.
/// </summary>
internal sealed class ClientMessageReader(WebSocket socket, int maxMessageBytes) : IDisposable
{
    private byte[]? _buffer;
    private int _length;

    /// <summary>The message read last.</summary>
    public ReadOnlyMemory<byte> Message => _buffer.AsMemory(0, _length);

    /// <summary>Text or binary, for the message read last.</summary>
    public WebSocketMessageType MessageType { get; private set; }

    /// <summary>Reads the next message: <see cref="ClientRead.Message"/>, or the client closed, or the message is over the maximum size.</summary>
    public async ValueTask<ClientRead> ReadAsync(CancellationToken cancellationToken)
    {
        Release();
        var ready = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
        if (ready.MessageType == WebSocketMessageType.Close)
            return ClientRead.Closed;

        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxMessageBytes + 1, 4096));
        ValueWebSocketReceiveResult result;
        do
        {
            if (_length == _buffer.Length)
            {
                if (_buffer.Length > maxMessageBytes)
                    return ClientRead.TooLarge;
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, maxMessageBytes + 1));
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
            result = await socket.ReceiveAsync(_buffer.AsMemory(_length), cancellationToken);
            _length += result.Count;
        }
        while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

        if (result.MessageType == WebSocketMessageType.Close)
            return ClientRead.Closed;
        MessageType = result.MessageType;
        return _length > maxMessageBytes ? ClientRead.TooLarge : ClientRead.Message;
    }

    /// <summary>
    /// Reads and discards what the client still sends until it answers our close (at most <paramref name="grace"/>), so
    /// an error frame and the close frame reach it instead of a connection reset.
    /// </summary>
    public async Task DrainUntilCloseAsync(TimeSpan grace)
    {
        Release();
        _buffer = ArrayPool<byte>.Shared.Rent(4096);
        using var timeout = new CancellationTokenSource(grace);
        while ((await socket.ReceiveAsync(_buffer.AsMemory(), timeout.Token)).MessageType != WebSocketMessageType.Close)
        {
        }
    }

    public void Dispose() => Release();

    private void Release()
    {
        if (_buffer is not null)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        _length = 0;
    }
}

/// <summary>What <see cref="ClientMessageReader.ReadAsync"/> found.</summary>
internal enum ClientRead
{
    Message,
    Closed,
    TooLarge,
}
