using System.Diagnostics;
using System.Net.WebSockets;
using Sluice.Client.Channels;
using Sluice.Client.Connection;
using Sluice.Client.Protocol;
using Sluice.Client.Telemetry;

namespace Sluice.Client;

public sealed partial class SluiceClient
{
    private const int MaxFrameBytes = 64 * 1024 * 1024;

    private SocketSession? _session;
    private long _sessionIds;

    /// <summary>Connects, runs the connection until it ends, waits, and connects again — until stopped.</summary>
    private async Task SuperviseAsync(CancellationToken stop)
    {
        var attempt = 0;
        var everConnected = false;
        while (!stop.IsCancellationRequested)
        {
            SetState(everConnected ? ConnectionState.Reconnecting : ConnectionState.Connecting, null);
            Exception? failure = null;
            SocketSession? session = null;
            try
            {
                session = await ConnectAsync(stop);
            }
            catch (Exception ex)
            {
                // Whatever went wrong (network, TLS, a throwing token provider), the next attempt comes after a backoff.
                failure = ex;
            }
            if (stop.IsCancellationRequested)
            {
                session?.Dispose();
                return;
            }

            TimeSpan delay;
            if (session is null)
            {
                delay = Options.ReconnectPolicy.NextDelay(attempt++);
                ClientLog.ConnectFailed(_logger, failure!, Url, delay);
                SetState(everConnected ? ConnectionState.Reconnecting : ConnectionState.Connecting, failure);
            }
            else
            {
                if (everConnected)
                    ClientTelemetry.Reconnects.Add(1);
                everConnected = true;
                attempt = 0;
                var lost = await RunSessionAsync(session, stop);
                if (stop.IsCancellationRequested)
                    return;
                delay = Options.ReconnectPolicy.NextDelay(attempt++);
                ClientLog.ConnectionLost(_logger, lost, session.Socket.CloseStatus, session.Socket.CloseStatusDescription, delay);
                SetState(ConnectionState.Reconnecting, lost);
                session.Dispose();
            }
            try
            {
                await Task.Delay(delay, _time, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<SocketSession> ConnectAsync(CancellationToken stop)
    {
        using var activity = ClientTelemetry.ActivitySource.StartActivity("sluice.connect", ActivityKind.Client);
        activity?.SetTag("server.address", Url.Host);
        var socket = new ClientWebSocket();
        try
        {
            Options.ConfigureWebSocket?.Invoke(socket.Options);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(Options.ConnectTimeout);
            var url = await WithTokenAsync(Url, timeout.Token);
            await socket.ConnectAsync(url, timeout.Token);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            socket.Dispose();
            throw;
        }
        ClientLog.Connected(_logger, Url);
        return new SocketSession(Interlocked.Increment(ref _sessionIds), socket, _time);
    }

    /// <summary>Runs one connection: resubscribes every channel, reads frames and watches heartbeats until it fails.
    /// Returns why it ended (null for a close by the server).</summary>
    private async Task<Exception?> RunSessionAsync(SocketSession session, CancellationToken stop)
    {
        Volatile.Write(ref _session, session);
        SetState(ConnectionState.Connected, null);
        foreach (var state in _channels.Values)
            _ = SubscribeAsync(state);

        using var ending = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var heartbeat = MonitorHeartbeatAsync(session, ending.Token);
        Exception? failure = null;
        try
        {
            await ReceiveLoopAsync(session, ending.Token);
        }
        catch (Exception ex)
        {
            // A lost connection, or a bug handling a frame: either way this connection is replaced, never the supervisor lost.
            failure = ex;
        }
        finally
        {
            Interlocked.CompareExchange(ref _session, null, session);
            await ending.CancelAsync();
            session.Abort();
            await heartbeat;
            ReleaseChannels(session);
        }
        return heartbeat.Result ?? failure;
    }

    private async Task ReceiveLoopAsync(SocketSession session, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxFrameBytes)
                        throw new InvalidDataException($"a frame from the server exceeds {MaxFrameBytes} bytes");
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                result = await session.Socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                length += result.Count;
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
                return;
            session.Touch();
            ServerFrame frame;
            try
            {
                frame = ServerFrame.Parse(buffer.AsSpan(0, length));
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException)
            {
                ClientLog.InvalidFrame(_logger, ex);
                ReportError(ClientErrorCodes.InvalidFrame, ex.Message, null);
                continue;
            }
            ClientTelemetry.CountMessage(frame.Type);
            try
            {
                HandleFrame(session, frame);
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
                await Task.Delay(tick, _time, cancellationToken);
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
                    await session.SendAsync(ClientFrames.Heartbeat(++reference), cancellationToken);
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
        var token = await AccessTokenAsync(cancellationToken);
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
