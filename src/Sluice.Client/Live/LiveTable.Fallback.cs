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
        try
        {
            while (true)
            {
                var offline = _client.NotConnectedFor;
                if (offline < after || _client.State is ConnectionState.Disconnected or ConnectionState.Closed)
                {
                    announced = false;
                    await Task.Delay(check, time, stop).ConfigureAwait(false);
                    continue;
                }
                if (!announced)
                {
                    ClientLog.FallbackActive(_logger, Channel, offline);
                    announced = true;
                }
                await RefreshOverHttpAsync(stop).ConfigureAwait(false);
                await Task.Delay(pollInterval, time, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task RefreshOverHttpAsync(CancellationToken stop)
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
        }
        catch (Exception ex) when (ex is HttpRequestException or SluiceException or TaskCanceledException or System.Text.Json.JsonException && !stop.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            ClientLog.FallbackFailed(_logger, ex, Channel);
            _client.ReportError(ex is SluiceException sluice ? sluice.Code : ClientErrorCodes.FallbackFailed,
                $"HTTP refresh of {Channel} failed: {ex.Message}", Channel);
        }
    }
}
