namespace Sluice.Client;

/// <summary>
/// Exponential backoff with full jitter: attempt <c>n</c> waits a uniformly random time between zero and
/// <c>min(MaxDelay, InitialDelay · Multiplier^n)</c>. Full jitter spreads the reconnects of many clients after a
/// server restart instead of letting them arrive in waves.
/// </summary>
public sealed class ExponentialBackoffPolicy : ReconnectPolicy
{
    private readonly Func<double> _random;

    /// <summary>Creates the policy.</summary>
    /// <param name="initialDelay">The cap of the first delay; default 500 ms.</param>
    /// <param name="maxDelay">The largest cap; default 30 s.</param>
    /// <param name="multiplier">How much the cap grows per failed attempt; default 2.</param>
    /// <param name="random">A source of uniform numbers in [0, 1); default <see cref="Random.Shared"/>. For tests.</param>
    public ExponentialBackoffPolicy(TimeSpan? initialDelay = null, TimeSpan? maxDelay = null, double multiplier = 2, Func<double>? random = null)
    {
        InitialDelay = initialDelay ?? TimeSpan.FromMilliseconds(500);
        MaxDelay = maxDelay ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialDelay, TimeSpan.Zero, nameof(initialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, InitialDelay, nameof(maxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(multiplier, 1, nameof(multiplier));
        Multiplier = multiplier;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>The cap of the first delay.</summary>
    public TimeSpan InitialDelay { get; }

    /// <summary>The largest cap.</summary>
    public TimeSpan MaxDelay { get; }

    /// <summary>How much the cap grows per failed attempt.</summary>
    public double Multiplier { get; }

    /// <summary>The upper bound of the delay before attempt <paramref name="attempt"/>, before jitter.</summary>
    /// <param name="attempt">How many attempts failed in a row.</param>
    public TimeSpan Cap(int attempt)
    {
        var ticks = InitialDelay.Ticks * Math.Pow(Multiplier, Math.Max(0, attempt));
        return double.IsFinite(ticks) && ticks < MaxDelay.Ticks ? TimeSpan.FromTicks((long)ticks) : MaxDelay;
    }

    /// <inheritdoc/>
    public override TimeSpan NextDelay(int attempt)
    {
        var fraction = Math.Clamp(_random(), 0, 1);
        return TimeSpan.FromTicks((long)(Cap(attempt).Ticks * fraction));
    }
}
