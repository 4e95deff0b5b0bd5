using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Sluice.Client.Telemetry;

/// <summary>The client's log messages.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(1, LogLevel.Information, "Connected to {Url}")]
    public static partial void Connected(ILogger logger, Uri url);

    [LoggerMessage(2, LogLevel.Warning, "Connecting to {Url} failed; retrying in {Delay}")]
    public static partial void ConnectFailed(ILogger logger, Exception exception, Uri url, TimeSpan delay);

    [LoggerMessage(3, LogLevel.Warning, "Connection lost ({CloseStatus} {CloseDescription}); reconnecting in {Delay}")]
    public static partial void ConnectionLost(ILogger logger, Exception? exception, WebSocketCloseStatus? closeStatus, string? closeDescription, TimeSpan delay);

    [LoggerMessage(4, LogLevel.Warning, "No traffic for {Timeout}: the connection is dead; reconnecting")]
    public static partial void HeartbeatTimeout(ILogger logger, TimeSpan timeout);

    [LoggerMessage(5, LogLevel.Debug, "Subscribing to {Channel} (since {Since}, snapshot {Snapshot})")]
    public static partial void Subscribing(ILogger logger, string channel, string? since, bool snapshot);

    [LoggerMessage(6, LogLevel.Information, "Channel {Channel} must resync: {Reason}")]
    public static partial void ResyncRequired(ILogger logger, string channel, string? reason);

    [LoggerMessage(7, LogLevel.Warning, "Error {Code} on {Channel}: {Message}")]
    public static partial void Error(ILogger logger, string code, string? channel, string message);

    [LoggerMessage(8, LogLevel.Error, "A handler of {Channel} threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string? channel);

    [LoggerMessage(9, LogLevel.Warning, "Channel {Channel}: handlers fell {Capacity} items behind; pausing and resuming from the last buffered offset")]
    public static partial void BufferOverflow(ILogger logger, string channel, int capacity);

    [LoggerMessage(10, LogLevel.Warning, "Skipped a frame that could not be understood")]
    public static partial void InvalidFrame(ILogger logger, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "Live table {Channel}: no WebSocket for {Duration}; refreshing over HTTP")]
    public static partial void FallbackActive(ILogger logger, string channel, TimeSpan duration);

    [LoggerMessage(12, LogLevel.Warning, "Live table {Channel}: HTTP refresh failed")]
    public static partial void FallbackFailed(ILogger logger, Exception exception, string channel);

    [LoggerMessage(13, LogLevel.Warning, "Channel {Channel}: skipped change {Offset}, not after {LastOffset}")]
    public static partial void StaleChange(ILogger logger, string channel, string offset, string lastOffset);

    [LoggerMessage(14, LogLevel.Debug, "Tracking presence in {Channel} (key {Key}, again after a reconnect: {Retrack})")]
    public static partial void Tracking(ILogger logger, string channel, string? key, bool retrack);

    [LoggerMessage(15, LogLevel.Debug, "Untracking presence in {Channel}")]
    public static partial void Untracking(ILogger logger, string channel);

    [LoggerMessage(16, LogLevel.Debug, "Broadcast to {Channel} failed: {Code} {Message}")]
    public static partial void BroadcastFailed(ILogger logger, string channel, string code, string message);

    [LoggerMessage(17, LogLevel.Warning, "Connection lost with {Count} broadcasts unacknowledged; they may or may not have been published")]
    public static partial void BroadcastsUnacknowledged(ILogger logger, int count);

    [LoggerMessage(18, LogLevel.Error, "Stopped reconnecting to {Url}: {Reason}")]
    public static partial void ReconnectStopped(ILogger logger, Exception? exception, Uri url, string reason);

    [LoggerMessage(19, LogLevel.Warning, "{Count} errors were not raised: the Error handlers fell {Capacity} errors behind")]
    public static partial void EventsDropped(ILogger logger, long count, int capacity);

    [LoggerMessage(20, LogLevel.Error, "Live table {Channel} stopped: the reconnect policy gave up retrying its HTTP read")]
    public static partial void LiveTableStopped(ILogger logger, Exception exception, string channel);
}
