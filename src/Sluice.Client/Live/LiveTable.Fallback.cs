using System.Diagnostics;
using Sluice.Client.Telemetry;

namespace Sluice.Client;

public sealed partial class LiveTable<TKey, TRow>
{
    private readonly CancellationTokenSource _fallbackStop = new();
    private Task _fallback = Task.CompletedTask;

    internal void StartFallback()
    {
        if (_client.Options.FallbackAfter is { } after)
            _fallback = Task.Run(() => RunFallbackAsync(after, _client.Options.FallbackPollInterval, _fallbackStop.Token));
    }

    /// <summary>
    /// While the client has had no WebSocket for <paramref name="after"/>, reads the rows over HTTP every
    /// <paramref name="pollInterval"/>. Once the WebSocket is back the channel subscribes with a fresh snapshot
    /// (an HTTP refresh forgets the stream position), which ends fallback mode.
    /// </summary>
    private async Task RunFallbackAsync(TimeSpan after, TimeSpan pollInterval, CancellationToken stop)
    {
        var time = _client.Options.TimeProvider;
        var check = TimeSpan.FromTicks(Math.Min(pollInterval.Ticks, Math.Max(after.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks)));
        var announced = false;
        var failures = new HttpFailures(time);
        try
        {
            while (true)
            {
                var offline = _client.NotConnectedFor;
                if (offline < after || _client.State is ConnectionState.Disconnected or ConnectionState.Closed)
                {
                    announced = false;
                    failures.Reset();
                    await Task.Delay(check, time, stop).ConfigureAwait(false);
                    continue;
                }
                if (!announced)
                {
                    ClientLog.FallbackActive(_logger, Channel, offline);
                    announced = true;
                }
                var wait = pollInterval;
                if (await RefreshOverHttpAsync(stop).ConfigureAwait(false) is { } failure)
                {
                    // A failed poll is retried as the reconnect policy says (never sooner than the poll interval); its stop ends the table.
                    if (RetryDelay(failures, failure) is not { } delay)
                        return;
                    if (delay > wait)
                        wait = delay;
                }
                else
                    failures.Reset();
                await Task.Delay(wait, time, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>One poll: the rows read over HTTP go into the channel. Returns the failure (reported already), or null.</summary>
    private async Task<Exception?> RefreshOverHttpAsync(CancellationToken stop)
    {
        using var activity = ClientTelemetry.ActivitySource.StartActivity("sluice.fallback.refresh", ActivityKind.Client);
        activity?.SetTag("sluice.channel", Channel);
        int generation;
        lock (State.Gate)
            generation = State.Generation;
        try
        {
            var rows = await _client.GetRowsAsync(Schema, Table, Filter, stop).ConfigureAwait(false);
            if (_client.TryEnqueueHttpSnapshot(State, generation, rows))
                _client.Telemetry.FallbackRefreshes.Add(1);
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or SluiceException or TaskCanceledException or System.Text.Json.JsonException && !stop.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            ClientLog.FallbackFailed(_logger, ex, Channel);
            _client.ReportError(ex is SluiceException sluice ? sluice.Code : ClientErrorCodes.FallbackFailed,
                $"HTTP refresh of {Channel} failed: {ex.Message}", Channel);
            return ex;
        }
    }

    /// <summary>
    /// Asks the reconnect policy when to retry a failed HTTP read (a fallback poll, or the whole read of a reduced row),
    /// telling it how many failed in a row, since when, and the server's code. Null: the policy stopped, and so did the
    /// table (see <see cref="Stop"/>).
    /// </summary>
    private TimeSpan? RetryDelay(HttpFailures failures, Exception error)
    {
        var context = failures.Next(error);
        TimeSpan? delay;
        try
        {
            delay = _client.Options.ReconnectPolicy.NextDelay(context);
        }
        catch (Exception ex)
        {
            Stop(new SluiceException(ClientErrorCodes.FallbackFailed, $"the reconnect policy threw: {ex.Message}", ex));
            return null;
        }
        if (delay is null)
        {
            var message = $"reading {Channel} over HTTP failed ({error.Message}); the reconnect policy stopped retrying, so the live table stopped (create it again to retry)";
            Stop(new SluiceException(context.ErrorCode ?? ClientErrorCodes.FallbackFailed, message, error));
        }
        return delay;
    }

    /// <summary>
    /// The reconnect policy gave up on an HTTP read: the table stops as the client does when the policy gives up on the
    /// WebSocket. Its rows stay readable as they were; <see cref="Mode"/> becomes <see cref="LiveTableMode.Stopped"/>,
    /// <see cref="Failure"/> holds <paramref name="error"/>, <see cref="WaitUntilSyncedAsync"/> throws it, the error is
    /// reported with <see cref="ClientErrorCodes.LiveTableStopped"/>, and the channel is left (unsubscribed in the background).
    /// </summary>
    private void Stop(SluiceException error)
    {
        lock (_syncGate)
        {
            if (_failure is not null)
                return;
            _failure = error;
            _mode = LiveTableMode.Stopped;
            if (_synced.Task.IsCompleted)
                _synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _synced.TrySetException(error);
            // Nobody may ever wait for it: no unobserved-exception noise.
            _ = _synced.Task.Exception;
        }
        ClientLog.LiveTableStopped(_logger, error, Channel);
        _client.ReportError(ClientErrorCodes.LiveTableStopped, error.Message, Channel, error);
        try
        {
            _fallbackStop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: stopped anyway.
        }
        _ = _client.CloseChannelAsync(State, sendUnsubscribe: true);
    }

    /// <summary>HTTP reads failed in a row, for the reconnect policy's <see cref="ReconnectContext"/>.</summary>
    private sealed class HttpFailures(TimeProvider time)
    {
        private int _attempt;
        private long _since;

        public void Reset() => _attempt = 0;

        public ReconnectContext Next(Exception error)
        {
            if (_attempt == 0)
                _since = time.GetTimestamp();
            return new ReconnectContext
            {
                Attempt = _attempt++,
                Elapsed = time.GetElapsedTime(_since),
                Starting = false,
                ErrorCode = (error as SluiceException)?.Code,
                LastError = error,
            };
        }
    }
}
