using System.Net.WebSockets;

namespace Sluice.Client.Connection;

/// <summary>One open WebSocket: serialized sends and the time of the last frame received.</summary>
internal sealed class SocketSession(long id, ClientWebSocket socket, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _receiveEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastReceived = time.GetTimestamp();

    public long Id { get; } = id;
    public ClientWebSocket Socket { get; } = socket;

    /// <summary>The receive buffer, grown as large frames need.</summary>
    public byte[] Buffer = new byte[16 * 1024];

    /// <summary>The server answered the first heartbeat: it accepted the connection (and its token).</summary>
    public bool Accepted { get; set; }

    /// <summary>The code and message of the last connection-level <c>error</c> frame (one without a channel), e.g. the refusal before close 4001.</summary>
    public (string Code, string Message)? LastError { get; set; }

    public TimeSpan SinceLastReceived => time.GetElapsedTime(Interlocked.Read(ref _lastReceived));

    public void Touch() => Interlocked.Exchange(ref _lastReceived, time.GetTimestamp());

    /// <summary>Sends one text frame; false when the connection is failing (the supervisor will replace it).</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        try
        {
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
        try
        {
            await Socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Sends a normal close and waits for the server's close in reply (which the receive loop reads, see
    /// <see cref="ReceiveEnded"/>), at most <paramref name="timeout"/> or until <paramref name="cancellationToken"/>:
    /// the graceful part of a stop, as <see cref="ClientWebSocket.CloseAsync"/> does. Best effort: a failing, cancelled
    /// or unanswered close is given up on (the socket is aborted next anyway).
    /// </summary>
    public async Task CloseAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }
        var sent = false;
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "client stopped", cancellationToken).ConfigureAwait(false);
                sent = true;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // Stopping goes on: the socket is aborted next.
        }
        finally
        {
            _sendLock.Release();
        }
        if (!sent)
            return;
        try
        {
            await _receiveEnded.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // No reply in time (or no more patience): the socket is aborted next.
        }
    }

    /// <summary>The receive loop is over: the server's close arrived (or the connection failed).</summary>
    public void ReceiveEnded() => _receiveEnded.TrySetResult();

    public void Abort() => Socket.Abort();

    // The send lock is not disposed: a send finishing late may still release it.
    public void Dispose() => Socket.Dispose();
}
