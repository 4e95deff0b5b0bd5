using System.Diagnostics;
using System.Net.WebSockets;
using Sluice.Client.Channels;
using Sluice.Client.Connection;
using Sluice.Client.Protocol;
using Sluice.Client.Telemetry;
using Sluice.Protocol;

namespace Sluice.Client;

public sealed partial class SluiceClient
{
    private const int MaxFrameBytes = 64 * 1024 * 1024;

    private SocketSession? _session;
    private long _sessionIds;

    /// <summary>
    /// How long an accepted connection must have lasted for its loss to count as a first failure again
    /// (<see cref="ReconnectContext.Attempt"/> 0); a connection that ended sooner adds to the attempts in a row.
    /// </summary>
    public static TimeSpan StableConnection { get; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long <see cref="StopAsync"/> (and <see cref="DisposeAsync"/>) waits for the server's close frame in reply to
    /// the client's before it drops the connection anyway: 5 s. The stop's token can cut it shorter.
    /// </summary>
    public static TimeSpan CloseTimeout { get; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Connects, runs the connection until it ends, asks the reconnect policy, waits, and connects again — until stopped
    /// or until the policy says to stop.
    /// </summary>
    private async Task SuperviseAsync(Run run)
    {
        var stop = run.Stop.Token;
        var attempt = 0;
        var everConnected = false;
        var withoutConnectionSince = _time.GetTimestamp();
        while (!run.Stopping)
        {
            SetState(everConnected ? ConnectionState.Reconnecting : ConnectionState.Connecting, null);
            Exception? failure = null;
            SocketSession? session = null;
            try
            {
                session = await ConnectAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Whatever went wrong (network, TLS, a throwing token provider), the policy decides what comes next.
                failure = ex;
            }
            if (run.Stopping)
            {
                session?.Dispose();
                return;
            }

            var wasAccepted = session is { Accepted: true };
            if (wasAccepted)
            {
                if (everConnected)
                    _telemetry.Reconnects.Add(1);
                everConnected = true;
                var acceptedAt = _time.GetTimestamp();
                failure = await RunSessionAsync(session!, run).ConfigureAwait(false);
                if (run.Stopping)
                    return;
                withoutConnectionSince = _time.GetTimestamp();
                // Only a connection that stayed up starts the count again (see ReconnectContext.Attempt).
                if (_time.GetElapsedTime(acceptedAt, withoutConnectionSince) >= StableConnection)
                    attempt = 0;
            }

            var context = new ReconnectContext
            {
                Attempt = attempt,
                Elapsed = _time.GetElapsedTime(withoutConnectionSince),
                Starting = !run.Started.Task.IsCompleted,
                CloseStatus = (int?)session?.Socket.CloseStatus,
                CloseDescription = session?.Socket.CloseStatusDescription,
                ErrorCode = session?.LastError?.Code,
                LastError = failure,
            };
            var why = failure ?? Closed(context, session?.LastError?.Message);
            session?.Dispose();
            TimeSpan? delay;
            try
            {
                delay = Options.ReconnectPolicy.NextDelay(context);
            }
            catch (Exception ex)
            {
                GiveUp(run, new SluiceException(ClientErrorCodes.ConnectionFailed, $"the reconnect policy threw: {ex.Message}", ex));
                return;
            }
            if (delay is not { } wait)
            {
                GiveUp(run, StoppedBy(context, why, session?.LastError?.Message));
                return;
            }
            attempt++;
            if (wasAccepted)
                ClientLog.ConnectionLost(_logger, failure, (WebSocketCloseStatus?)context.CloseStatus, context.CloseDescription, wait);
            else
                ClientLog.ConnectFailed(_logger, why, Url, wait);
            SetState(everConnected ? ConnectionState.Reconnecting : ConnectionState.Connecting, why);
            try
            {
                await Task.Delay(wait, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The exception describing a close by the server (for state changes and the log).</summary>
    private static SluiceException Closed(ReconnectContext context, string? errorMessage) =>
        new(context.ErrorCode ?? ClientErrorCodes.ConnectionClosed,
            $"the server closed the connection with {context.CloseStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no status"}"
            + (context.ErrorCode is null ? "" : $" ({context.ErrorCode}: {errorMessage})"));

    /// <summary>The exception a stop by the policy ends the run with: the server's code when it refused, else <see cref="ClientErrorCodes.ConnectionFailed"/>.</summary>
    private static SluiceException StoppedBy(ReconnectContext context, Exception why, string? errorMessage)
    {
        var reason = context.CloseStatus is { } status
            ? $"the server closed the connection with {status}" + (context.ErrorCode is null ? "" : $" ({context.ErrorCode}: {errorMessage})")
            : $"the connection failed: {why.Message}";
        var message = $"{reason}; the reconnect policy stopped reconnecting (start the client again to retry)";
        return context.LastError is { } error
            ? new SluiceException(context.ErrorCode ?? ClientErrorCodes.ConnectionFailed, message, error)
            : new SluiceException(context.ErrorCode ?? ClientErrorCodes.ConnectionFailed, message);
    }

    /// <summary>The policy stopped: the client is disconnected with <paramref name="error"/>, and a waiting start throws it.</summary>
    private void GiveUp(Run run, SluiceException error)
    {
        ClientLog.ReconnectStopped(_logger, error.InnerException, Url, error.Message);
        SetState(ConnectionState.Disconnected, error);
        run.Started.TrySetException(error);
        lock (_lifecycle)
        {
            if (_run == run)
                _run = null;
        }
    }

    /// <summary>
    /// Opens a WebSocket and sends a heartbeat with a ref: the server answers it only once it accepted the connection
    /// (a refused token gets an <c>error</c> frame and close 4001 instead), so the answer tells a start it is connected.
    /// Returns the session, <see cref="SocketSession.Accepted"/> or closed by the server.
    /// </summary>
    private async Task<SocketSession> ConnectAsync(CancellationToken stop)
    {
        using var activity = ClientTelemetry.ActivitySource.StartActivity("sluice.connect", ActivityKind.Client);
        activity?.SetTag("server.address", Url.Host);
        var socket = new ClientWebSocket();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(Options.ConnectTimeout);
        try
        {
            Options.ConfigureWebSocket?.Invoke(socket.Options);
            var url = await WithTokenAsync(Url, timeout.Token).ConfigureAwait(false);
            await socket.ConnectAsync(url, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            socket.Dispose();
            throw;
        }
        var session = new SocketSession(Interlocked.Increment(ref _sessionIds), socket, _time);
        try
        {
            if (!await session.SendAsync(ClientFrames.Heartbeat(0), timeout.Token).ConfigureAwait(false))
                throw new WebSocketException("the connection failed before its first heartbeat was sent");
            while (!session.Accepted)
            {
                var length = await ReceiveMessageAsync(session, timeout.Token).ConfigureAwait(false);
                if (length < 0)
                {
                    activity?.SetStatus(ActivityStatusCode.Error, $"closed by the server: {socket.CloseStatus} {socket.CloseStatusDescription}");
                    return session;
                }
                var frame = ServerFrame.Parse(session.Buffer.AsSpan(0, length));
                if (frame.Type == FrameTypes.Error)
                    OnConnectionError(session, frame);
                else
                    session.Accepted = true;
            }
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            session.Dispose();
            if (ex is OperationCanceledException && !stop.IsCancellationRequested)
                throw new TimeoutException($"the server did not accept the connection within {Options.ConnectTimeout} (ConnectTimeout)", ex);
            throw;
        }
        ClientLog.Connected(_logger, Url);
        return session;
    }

    /// <summary>An <c>error</c> frame for the connection as a whole (no channel): kept for the reconnect policy and reported.</summary>
    private void OnConnectionError(SocketSession session, ServerFrame frame)
    {
        var code = frame.Code ?? "error";
        var message = frame.Error ?? "";
        session.LastError = (code, message);
        ReportError(code, message, null);
    }

    /// <summary>Runs one accepted connection: resubscribes every channel, reads frames and watches heartbeats until it
    /// fails. Returns why it ended (null for a close by the server).</summary>
    private async Task<Exception?> RunSessionAsync(SocketSession session, Run run)
    {
        Volatile.Write(ref _session, session);
        SetState(ConnectionState.Connected, null);
        run.Started.TrySetResult();
        foreach (var state in _channels.Values)
            _ = SubscribeAsync(state);

        using var ending = CancellationTokenSource.CreateLinkedTokenSource(run.Stop.Token);
        var heartbeat = MonitorHeartbeatAsync(session, ending.Token);
        Exception? failure = null;
        try
        {
            await ReceiveLoopAsync(session, ending.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A lost connection, or a bug handling a frame: either way this connection is replaced, never the supervisor lost.
            failure = ex;
        }
        finally
        {
            session.ReceiveEnded();
            Interlocked.CompareExchange(ref _session, null, session);
            await ending.CancelAsync().ConfigureAwait(false);
            session.Abort();
            await heartbeat.ConfigureAwait(false);
            ReleaseChannels(session);
        }
        return heartbeat.Result ?? failure;
    }

    /// <summary>Receives one whole message into the session's buffer: its length, or -1 when the server closed the connection.</summary>
    private static async Task<int> ReceiveMessageAsync(SocketSession session, CancellationToken cancellationToken)
    {
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            if (length == session.Buffer.Length)
            {
                if (session.Buffer.Length >= MaxFrameBytes)
                    throw new InvalidDataException($"a frame from the server exceeds {MaxFrameBytes} bytes");
                Array.Resize(ref session.Buffer, session.Buffer.Length * 2);
            }
            result = await session.Socket.ReceiveAsync(session.Buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            length += result.Count;
        }
        while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
        return result.MessageType == WebSocketMessageType.Close ? -1 : length;
    }

    private async Task ReceiveLoopAsync(SocketSession session, CancellationToken cancellationToken)
    {
        while (true)
        {
            var length = await ReceiveMessageAsync(session, cancellationToken).ConfigureAwait(false);
            if (length < 0)
                return;
            session.Touch();
            ServerFrame frame;
            try
            {
                frame = ServerFrame.Parse(session.Buffer.AsSpan(0, length));
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException)
            {
                ClientLog.InvalidFrame(_logger, ex);
                ReportError(ClientErrorCodes.InvalidFrame, ex.Message, null);
                continue;
            }
            _telemetry.CountMessage(frame.Type);
            if (frame.Type == FrameTypes.Error && frame.Channel is null && frame.Ref is null)
                session.LastError = (frame.Code ?? "error", frame.Error ?? "");
            try
            {
                if (frame.Type == FrameTypes.Changes)
                {
                    // Replayed changes several to a frame (asked for with batch_catch_up): each as if it had come alone.
                    foreach (var inner in frame.Inner())
                    {
                        _telemetry.CountMessage(inner.Type);
                        HandleFrame(session, inner);
                    }
                }
                else
                {
                    HandleFrame(session, frame);
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or KeyNotFoundException or System.Text.Json.JsonException)
            {
                ClientLog.InvalidFrame(_logger, ex);
                ReportError(ClientErrorCodes.InvalidFrame, ex.Message, frame.Channel);
            }
        }
    }

    /// <summary>Sends heartbeats (each with a new ref, which the server echoes) and aborts the socket when nothing arrived within the timeout. Returns the timeout as an exception when it fired.</summary>
    private async Task<Exception?> MonitorHeartbeatAsync(SocketSession session, CancellationToken cancellationToken)
    {
        var tick = TimeSpan.FromTicks(Math.Min(Options.HeartbeatInterval.Ticks, Options.HeartbeatTimeout.Ticks / 4));
        var lastSent = _time.GetTimestamp();
        var reference = 0L;
        try
        {
            while (true)
            {
                await Task.Delay(tick, _time, cancellationToken).ConfigureAwait(false);
                if (session.SinceLastReceived > Options.HeartbeatTimeout)
                {
                    ClientLog.HeartbeatTimeout(_logger, Options.HeartbeatTimeout);
                    session.Abort();
                    return new TimeoutException($"no frame from the server within {Options.HeartbeatTimeout}");
                }
                if (_time.GetElapsedTime(lastSent) >= Options.HeartbeatInterval)
                {
                    lastSent = _time.GetTimestamp();
                    // With a ref, so the server answers it: that answer is what proves the connection alive when nothing else arrives.
                    await session.SendAsync(ClientFrames.Heartbeat(++reference), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async ValueTask<Uri> WithTokenAsync(Uri url, CancellationToken cancellationToken)
    {
        var token = await AccessTokenAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _tokenInUse, token);
        if (string.IsNullOrEmpty(token))
            return url;
        var builder = new UriBuilder(url);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "token=" + Uri.EscapeDataString(token);
        return builder.Uri;
    }

    private ValueTask<string?> AccessTokenAsync(CancellationToken cancellationToken) =>
        Options.AccessTokenProvider is { } provider ? provider(cancellationToken) : ValueTask.FromResult(Options.AccessToken);

    /// <summary>The connection is gone: every channel it carried is no longer subscribed.</summary>
    private void ReleaseChannels(SocketSession session)
    {
        foreach (var state in _channels.Values)
        {
            lock (state.Gate)
            {
                if (state.SessionId == session.Id && state.Phase != ChannelPhase.Paused)
                    state.Phase = ChannelPhase.Idle;
                state.SnapshotRows = null;
            }
        }
        FailPendingBroadcasts(session.Id);
    }
}
