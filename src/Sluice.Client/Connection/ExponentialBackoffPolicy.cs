using Sluice.Protocol;

namespace Sluice.Client;

/// <summary>
/// The default <see cref="IReconnectPolicy"/>: exponential backoff with full jitter (attempt <c>n</c> waits a uniformly
/// random time between zero and <c>min(MaxDelay, InitialDelay · Multiplier^n)</c>, which spreads the reconnects of many
/// clients after a server restart instead of letting them arrive in waves), and the server's close codes honoured:
/// <list type="bullet">
/// <item>4001 (the token was refused: <c>unauthorized</c>, <c>invalid_token</c>, <c>token_expired</c>): stop — retrying with the same token cannot succeed.</item>
/// <item>4008 (slow consumer): reconnect at once and resume; backoff if that fails too.</item>
/// <item>1013 (try again later) and 4029 (rate limited): wait <see cref="TryLaterDelay"/> plus the jittered backoff.</item>
/// <item>anything else (1001 going away, network errors, heartbeat timeouts): the jittered backoff, forever.</item>
/// </list>
/// </summary>
public sealed class ExponentialBackoffPolicy : IReconnectPolicy
{
    private readonly Func<double> _random;

    /// <summary>Creates the policy.</summary>
    /// <param name="initialDelay">The cap of the first delay; default 500 ms.</param>
    /// <param name="maxDelay">The largest cap; default 30 s.</param>
    /// <param name="multiplier">How much the cap grows per failed attempt; default 2.</param>
    /// <param name="random">A source of uniform numbers in [0, 1); default <see cref="Random.Shared"/>. For tests.</param>
    /// <param name="tryLaterDelay">The least wait after close 1013 or 4029; default 5 s.</param>
    public ExponentialBackoffPolicy(TimeSpan? initialDelay = null, TimeSpan? maxDelay = null, double multiplier = 2, Func<double>? random = null,
        TimeSpan? tryLaterDelay = null)
    {
        InitialDelay = initialDelay ?? TimeSpan.FromMilliseconds(500);
        MaxDelay = maxDelay ?? TimeSpan.FromSeconds(30);
        TryLaterDelay = tryLaterDelay ?? TimeSpan.FromSeconds(5);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialDelay, TimeSpan.Zero, nameof(initialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, InitialDelay, nameof(maxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(multiplier, 1, nameof(multiplier));
        ArgumentOutOfRangeException.ThrowIfLessThan(TryLaterDelay, TimeSpan.Zero, nameof(tryLaterDelay));
        Multiplier = multiplier;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>The cap of the first delay.</summary>
    public TimeSpan InitialDelay { get; }

    /// <summary>The largest cap.</summary>
    public TimeSpan MaxDelay { get; }

    /// <summary>How much the cap grows per failed attempt.</summary>
    public double Multiplier { get; }

    /// <summary>The least wait after the server said to come back later (close 1013 or 4029).</summary>
    public TimeSpan TryLaterDelay { get; }

    /// <summary>The upper bound of the delay before attempt <paramref name="attempt"/>, before jitter.</summary>
    /// <param name="attempt">How many attempts failed in a row.</param>
    public TimeSpan Cap(int attempt)
    {
        var ticks = InitialDelay.Ticks * Math.Pow(Multiplier, Math.Max(0, attempt));
        return double.IsFinite(ticks) && ticks < MaxDelay.Ticks ? TimeSpan.FromTicks((long)ticks) : MaxDelay;
    }

    /// <summary>The jittered backoff before attempt <paramref name="attempt"/>, whatever ended the connection.</summary>
    /// <param name="attempt">How many attempts failed in a row.</param>
    public TimeSpan NextDelay(int attempt)
    {
        var fraction = Math.Clamp(_random(), 0, 1);
        return TimeSpan.FromTicks((long)(Cap(attempt).Ticks * fraction));
    }

    /// <inheritdoc/>
    public TimeSpan? NextDelay(ReconnectContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.CloseStatus switch
        {
            CloseCodes.Unauthorized => null,
            CloseCodes.SlowConsumer when context.Attempt == 0 => TimeSpan.Zero,
            CloseCodes.TryAgainLater or CloseCodes.RateLimited => TryLaterDelay + NextDelay(context.Attempt),
            _ => NextDelay(context.Attempt),
        };
    }
}
