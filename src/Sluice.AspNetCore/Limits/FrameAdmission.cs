namespace Sluice.Server.Limits;

/// <summary>What to do with a client frame, as decided by <see cref="FrameRateLimiter"/>.</summary>
internal enum FrameAdmission
{
    /// <summary>Within the rate: handle the frame.</summary>
    Admitted,

    /// <summary>Over the rate: drop the frame and tell the client with a <c>rate_limited</c> error.</summary>
    RefusedWithError,

    /// <summary>Over the rate: drop the frame silently (the client was told less than a second ago).</summary>
    Refused,

    /// <summary>The client keeps flooding: drop the frame and close the connection with 4029.</summary>
    Close,
}
