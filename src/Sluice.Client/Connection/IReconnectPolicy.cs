namespace Sluice.Client;

/// <summary>
/// Decides whether and when the client tries to connect again, after a connection was lost or an attempt failed,
/// including while <see cref="SluiceClient.StartAsync"/> waits for the first connection; and when a
/// <see cref="LiveTable{TKey,TRow}"/> retries a failed HTTP read (a fallback poll, or the whole read of a row too large to
/// stream: <see cref="ReconnectContext.CloseStatus"/> null, <see cref="ReconnectContext.LastError"/> the failure, its own
/// count of failures in a row), where stopping stops that table (<see cref="LiveTableMode.Stopped"/>). The default is
/// <see cref="ExponentialBackoffPolicy"/>, which honours the server's close codes.
/// </summary>
public interface IReconnectPolicy
{
    /// <summary>The delay before the next attempt, or null to stop: the client then goes to
    /// <see cref="ConnectionState.Disconnected"/> (a waiting <see cref="SluiceClient.StartAsync"/> throws) until started again.</summary>
    /// <param name="context">Why the connection ended or the attempt failed, and how long this has been going on.</param>
    /// <returns>The delay (<see cref="TimeSpan.Zero"/> retries at once), or null to stop reconnecting.</returns>
    TimeSpan? NextDelay(ReconnectContext context);
}

/// <summary>What an <see cref="IReconnectPolicy"/> is told before each retry.</summary>
public sealed class ReconnectContext
{
    /// <summary>
    /// How many retries in a row came before this one: 0 right after a connection that had been up for at least
    /// <see cref="SluiceClient.StableConnection"/> was lost, or after the first attempt failed. A connection the server
    /// accepted and ended sooner (a server closing every new connection at once, e.g. with 4008) counts as one more
    /// failed attempt, so the policy's backoff grows instead of the client reconnecting at the first attempt's pace forever.
    /// </summary>
    public required int Attempt { get; init; }

    /// <summary>How long the client has been without an accepted connection (since the loss, or since <see cref="SluiceClient.StartAsync"/>).</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>True while <see cref="SluiceClient.StartAsync"/> has not seen a connection accepted yet (its caller is waiting).</summary>
    public required bool Starting { get; init; }

    /// <summary>
    /// The WebSocket close status the server ended the connection with, e.g. 4001 (token refused), 4008 (slow consumer),
    /// 1013 (try again later) or 4029 (rate limited), see <see cref="Sluice.Protocol.CloseCodes"/>; null when the connection
    /// was dropped or could not be opened.
    /// </summary>
    public int? CloseStatus { get; init; }

    /// <summary>The close reason the server gave with <see cref="CloseStatus"/>.</summary>
    public string? CloseDescription { get; init; }

    /// <summary>The <c>code</c> of the server's last <c>error</c> frame before the close, e.g. <c>invalid_token</c>
    /// (<see cref="Sluice.Protocol.ErrorCodes"/>), or for a live table's failed HTTP read the code of the server's error
    /// body (e.g. <c>database_unavailable</c>) or <see cref="ClientErrorCodes.FallbackFailed"/>; null when there was none.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The exception behind a failed attempt or a dropped connection (a network error, the heartbeat timeout); null for a close by the server.</summary>
    public Exception? LastError { get; init; }
}
