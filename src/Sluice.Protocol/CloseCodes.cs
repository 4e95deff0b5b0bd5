namespace Sluice.Protocol;

/// <summary>WebSocket close status codes used by Sluice.</summary>
public static class CloseCodes
{
    /// <summary>1001: the server is shutting down; reconnect and resume.</summary>
    public const int GoingAway = 1001;
    /// <summary>1009: a client frame exceeded the maximum message size.</summary>
    public const int MessageTooBig = 1009;
    /// <summary>1011: an unexpected server error ended the connection.</summary>
    public const int InternalError = 1011;
    /// <summary>
    /// 1013: reconnect later: the server cannot authenticate right now (its signing keys could not be loaded), or the
    /// client's IP address has too many open connections; the <c>error</c> frame just before says which.
    /// </summary>
    public const int TryAgainLater = 1013;
    /// <summary>
    /// 4008: the client did not read fast enough and its outbound queue filled up (or its oldest frame
    /// waited too long). Everything queued was dropped: reconnect and resubscribe (resuming where possible).
    /// </summary>
    public const int SlowConsumer = 4008;
    /// <summary>
    /// 4001: the connection was refused at connect because its token is missing (anonymous connections are not
    /// allowed), invalid or expired; the <c>error</c> frame sent just before says which. Get a valid token and reconnect.
    /// </summary>
    public const int Unauthorized = 4001;
    /// <summary>
    /// 4029: the client kept sending frames far over its rate limit after being told (<c>rate_limited</c>). Reconnect
    /// with backoff and send less.
    /// </summary>
    public const int RateLimited = 4029;
}
