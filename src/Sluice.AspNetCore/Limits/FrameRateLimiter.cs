namespace Sluice.Server.Limits;

/// <summary>
/// Rate limit of one connection's client frames (every frame counts, heartbeats included). Three token buckets:
/// <list type="bullet">
/// <item>frames: <see cref="LimitsOptions.MessagesPerSecond"/>, burst <see cref="LimitsOptions.MessageBurst"/>; a frame
/// without a token is refused (not handled);</item>
/// <item>refusals: the same rate, burst <see cref="LimitsOptions.RefusedMessagesBeforeClose"/>; a refusal without a token
/// closes the connection. A client sending at up to twice the rate is only throttled; one flooding faster than
/// that is closed once its refusals exceed the tolerance;</item>
/// <item>notices: one <c>rate_limited</c> error per second at most, so refusals never queue an error each.</item>
/// </list>
/// Not thread-safe: owned by the connection's receive loop. An admitted frame costs one timestamp read; the refusal
/// and notice buckets are only created at the first refusal (a bucket starts full, so this changes nothing), which
/// keeps well-behaved idle connections small.
/// </summary>
internal sealed class FrameRateLimiter
{
    private readonly LimitsOptions _options;
    private readonly TimeProvider _time;
    private readonly TokenBucket _frames;
    private TokenBucket? _refusals;
    private TokenBucket? _notices;

    public FrameRateLimiter(LimitsOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _frames = new TokenBucket(options.MessagesPerSecond, options.MessageBurst, time);
    }

    /// <summary>Counts one client frame and decides what happens to it.</summary>
    public FrameAdmission Admit()
    {
        if (_frames.TryTake())
            return FrameAdmission.Admitted;
        _refusals ??= new TokenBucket(_options.MessagesPerSecond, _options.RefusedMessagesBeforeClose, _time);
        _notices ??= new TokenBucket(1, 1, _time);
        if (!_refusals.TryTake())
            return FrameAdmission.Close;
        return _notices.TryTake() ? FrameAdmission.RefusedWithError : FrameAdmission.Refused;
    }
}
