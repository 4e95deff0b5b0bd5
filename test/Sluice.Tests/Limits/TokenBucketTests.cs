using CsCheck;
using Sluice.Server.Limits;

namespace Sluice.Tests.Limits;

public sealed class TokenBucketTests
{
    /// <summary>Frequencies of real and fake clocks (Stopwatch on Linux, TimeSpan ticks) and awkward small ones.</summary>
    private static readonly Gen<long> Frequencies = Gen.OneOf(Gen.Const(1_000_000_000L), Gen.Const(TimeSpan.TicksPerSecond), Gen.Long[1, 5_000]);

    [Fact]
    public void Starts_full_and_admits_the_burst_at_once_then_refuses()
    {
        var clock = new ManualClock();
        var bucket = new TokenBucket(ratePerSecond: 5, burst: 3, clock);
        Assert.True(bucket.TryTake());
        Assert.True(bucket.TryTake());
        Assert.True(bucket.TryTake());
        Assert.False(bucket.TryTake());
        Assert.False(bucket.TryTake());
        Assert.Equal(0, bucket.Available);
    }

    [Fact]
    public void Refills_at_the_rate_and_never_above_the_burst()
    {
        var clock = new ManualClock();
        var bucket = new TokenBucket(ratePerSecond: 5, burst: 3, clock);
        for (var i = 0; i < 3; i++)
            Assert.True(bucket.TryTake());

        clock.AdvanceSeconds(0.19);
        Assert.False(bucket.TryTake());
        clock.AdvanceSeconds(0.01);
        Assert.True(bucket.TryTake());
        Assert.False(bucket.TryTake());

        clock.AdvanceSeconds(3600);
        Assert.Equal(3, bucket.Available);
    }

    [Fact]
    public void A_refused_attempt_takes_nothing()
    {
        var clock = new ManualClock();
        var bucket = new TokenBucket(ratePerSecond: 10, burst: 1, clock);
        Assert.True(bucket.TryTake());
        for (var i = 0; i < 1000; i++)
            Assert.False(bucket.TryTake());
        clock.AdvanceSeconds(0.1);
        Assert.True(bucket.TryTake());
    }

    [Fact]
    public void A_very_long_idle_time_fills_the_bucket_without_overflowing()
    {
        var clock = new ManualClock(frequency: 1_000_000_000, start: long.MinValue / 2);
        var bucket = new TokenBucket(ratePerSecond: 1_000_000, burst: 1_000_000, clock);
        while (bucket.TryTake())
        {
        }
        clock.Advance(long.MaxValue / 2 + 1000);
        Assert.Equal(1_000_000, bucket.Available);
    }

    [Fact]
    public void A_clock_that_goes_backwards_adds_nothing()
    {
        var clock = new ManualClock(start: 1_000_000);
        var bucket = new TokenBucket(ratePerSecond: 1, burst: 1, clock);
        Assert.True(bucket.TryTake());
        clock.Advance(-500_000);
        Assert.False(bucket.TryTake());
        clock.Advance(500_000 + TimeSpan.TicksPerSecond);
        Assert.True(bucket.TryTake());
    }

    [Fact]
    public void Never_admits_more_than_burst_plus_rate_times_t_over_any_interval()
    {
        // A schedule: before each attempt the clock moves by nothing (a burst), a little, or up to 1.5 s.
        var gap = Gen.OneOf(Gen.Const(0.0), Gen.Double[0, 0.01], Gen.Double[0, 1.5]);
        Gen.Select(Gen.Int[1, 1000], Gen.Int[1, 300], Frequencies, gap.Array[1, 400]).Sample((rate, burst, frequency, gaps) =>
        {
            var clock = new ManualClock(frequency);
            var bucket = new TokenBucket(rate, burst, clock);
            var admittedAt = new List<long>();
            foreach (var seconds in gaps)
            {
                clock.Advance((long)(seconds * frequency));
                if (bucket.TryTake())
                    admittedAt.Add(clock.Now);
            }

            // Every window [admittedAt[i], admittedAt[j]] holds j - i + 1 admissions; exact integer form of
            // count ≤ burst + rate · (t_j − t_i) / frequency.
            for (var i = 0; i < admittedAt.Count; i++)
            {
                for (var j = i; j < admittedAt.Count; j++)
                {
                    var count = (Int128)(j - i + 1);
                    if (count * frequency > (Int128)burst * frequency + (Int128)rate * (admittedAt[j] - admittedAt[i]))
                        Assert.Fail($"{j - i + 1} admitted within {admittedAt[j] - admittedAt[i]} ticks at {rate}/s burst {burst}, frequency {frequency}");
                }
            }
        });
    }

    [Fact]
    public void A_sender_within_the_rate_is_never_refused()
    {
        Gen.Select(Gen.Int[1, 1000], Gen.Int[1, 300], Frequencies, Gen.Long[0, 3].Array[1, 300]).Sample((rate, burst, frequency, extra) =>
        {
            var clock = new ManualClock(frequency);
            var bucket = new TokenBucket(rate, burst, clock);
            var interval = (frequency + rate - 1) / rate; // at least 1/rate s between frames
            foreach (var more in extra)
            {
                Assert.True(bucket.TryTake());
                clock.Advance(interval + more);
            }
        });
    }

    [Fact]
    public void After_resting_burst_over_rate_seconds_the_whole_burst_is_admitted_again()
    {
        Gen.Select(Gen.Int[1, 1000], Gen.Int[1, 300], Frequencies, Gen.Int[0, 1000]).Sample((rate, burst, frequency, used) =>
        {
            var clock = new ManualClock(frequency);
            var bucket = new TokenBucket(rate, burst, clock);
            for (var i = 0; i < used; i++)
                bucket.TryTake();
            clock.Advance(((long)burst * frequency + rate - 1) / rate);
            for (var i = 0; i < burst; i++)
                Assert.True(bucket.TryTake());
            Assert.False(bucket.TryTake());
        });
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-5, 10)]
    public void Rejects_a_rate_or_burst_below_one(int rate, int burst) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(rate, burst, TimeProvider.System));
}
