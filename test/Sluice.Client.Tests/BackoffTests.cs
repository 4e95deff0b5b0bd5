using CsCheck;

namespace Sluice.Client.Tests;

public sealed class BackoffTests
{
    [Fact]
    public void Every_delay_lies_between_zero_and_the_capped_exponential() =>
        Gen.Select(Gen.Int[1, 5000], Gen.Int[1, 600_000], Gen.Double[1, 4], Gen.Int[0, 200], Gen.Double[0, 1])
            .Sample((initialMs, extraMs, multiplier, attempt, random) =>
            {
                var initial = TimeSpan.FromMilliseconds(initialMs);
                var max = initial + TimeSpan.FromMilliseconds(extraMs);
                var policy = new ExponentialBackoffPolicy(initial, max, multiplier, () => random);
                var expectedCap = Math.Min(max.Ticks, initial.Ticks * Math.Pow(multiplier, attempt));
                var delay = policy.NextDelay(attempt);
                return delay >= TimeSpan.Zero
                    && delay.Ticks <= (long)expectedCap + 1
                    && Math.Abs(delay.Ticks - (long)(expectedCap * random)) <= 1;
            });

    [Fact]
    public void Caps_grow_with_each_attempt_until_the_maximum_and_never_overflow() =>
        Gen.Select(Gen.Int[1, 5000], Gen.Int[0, 600_000], Gen.Double[1, 10])
            .Sample((initialMs, extraMs, multiplier) =>
            {
                var policy = new ExponentialBackoffPolicy(TimeSpan.FromMilliseconds(initialMs), TimeSpan.FromMilliseconds(initialMs + extraMs), multiplier);
                var previous = TimeSpan.Zero;
                foreach (var attempt in new[] { 0, 1, 2, 3, 5, 8, 13, 30, 64, 1000, int.MaxValue })
                {
                    var cap = policy.Cap(attempt);
                    if (cap < previous || cap > policy.MaxDelay || cap < policy.InitialDelay)
                        return false;
                    previous = cap;
                }
                return policy.Cap(int.MaxValue) == (multiplier > 1 ? policy.MaxDelay : policy.InitialDelay);
            });

    [Fact]
    public void Full_jitter_spreads_delays_over_the_whole_range()
    {
        var policy = new ExponentialBackoffPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var delays = Enumerable.Range(0, 2000).Select(_ => policy.NextDelay(5).TotalSeconds).ToArray();
        // Uniform on [0, 1): a quarter of 2000 samples in each quarter, give or take far more than chance allows.
        for (var quarter = 0; quarter < 4; quarter++)
            Assert.InRange(delays.Count(d => d >= quarter / 4.0 && d < (quarter + 1) / 4.0), 350, 650);
    }

    [Fact]
    public void Invalid_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialBackoffPolicy(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialBackoffPolicy(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialBackoffPolicy(multiplier: 0.5));
    }

    [Fact]
    public void The_default_policy_honours_the_servers_close_codes()
    {
        var policy = new ExponentialBackoffPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8), random: () => 0.5, tryLaterDelay: TimeSpan.FromSeconds(5));
        TimeSpan? After(int? closeStatus, int attempt = 0) =>
            policy.NextDelay(new ReconnectContext { Attempt = attempt, Elapsed = TimeSpan.Zero, Starting = false, CloseStatus = closeStatus });

        Assert.Null(After(4001));
        Assert.Null(After(4001, attempt: 3));
        Assert.Equal(TimeSpan.Zero, After(4008));
        Assert.Equal(TimeSpan.FromSeconds(1), After(4008, attempt: 1));
        Assert.Equal(TimeSpan.FromSeconds(5.5), After(1013));
        Assert.Equal(TimeSpan.FromSeconds(7), After(4029, attempt: 2));
        Assert.Equal(TimeSpan.FromSeconds(0.5), After(1001));
        Assert.Equal(TimeSpan.FromSeconds(4), After(null, attempt: 10));
    }
}
