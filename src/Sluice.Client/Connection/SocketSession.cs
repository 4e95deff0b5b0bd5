using System.Net.WebSockets;

namespace Sluice.Client.Connection;

/// <summary>One open WebSocket: serialized sends and the time of the last frame received.</summary>
internal sealed class SocketSession(long id, ClientWebSocket socket, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private long _lastReceived = time.GetTimestamp();

    public long Id { get; } = id;
    public ClientWebSocket Socket { get; } = socket;

    public TimeSpan SinceLastReceived => time.GetElapsedTime(Interlocked.Read(ref _lastReceived));

    public void Touch() => Interlocked.Exchange(ref _lastReceived, time.GetTimestamp());

    /// <summary>Sends one text frame; false when the connection is failing (the supervisor will replace it).</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        try
        {
            await _sendLock.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
        try
        {
            await Socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            return false;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public void Abort() => Socket.Abort();

    // The send lock is not disposed: a send finishing late may still release it.
    public void Dispose() => Socket.Dispose();
}
