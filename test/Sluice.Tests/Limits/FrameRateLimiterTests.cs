using Sluice.Server.Limits;

namespace Sluice.Tests.Limits;

public sealed class FrameRateLimiterTests
{
    private static FrameRateLimiter Limiter(ManualClock clock, int rate = 5, int burst = 5, int refusedBeforeClose = 3) =>
        new(new LimitsOptions { MessagesPerSecond = rate, MessageBurst = burst, RefusedMessagesBeforeClose = refusedBeforeClose }, clock);

    [Fact]
    public void A_burst_is_admitted_then_frames_are_refused_with_one_error_then_the_flood_is_closed()
    {
        var clock = new ManualClock();
        var limiter = Limiter(clock);
        for (var i = 0; i < 5; i++)
            Assert.Equal(FrameAdmission.Admitted, limiter.Admit());
        Assert.Equal(FrameAdmission.RefusedWithError, limiter.Admit());
        Assert.Equal(FrameAdmission.Refused, limiter.Admit());
        Assert.Equal(FrameAdmission.Refused, limiter.Admit());
        Assert.Equal(FrameAdmission.Close, limiter.Admit());
    }

    [Fact]
    public void Refused_frames_are_reported_at_most_once_a_second()
    {
        var clock = new ManualClock();
        var limiter = Limiter(clock, rate: 100, burst: 100, refusedBeforeClose: 1_000_000);
        var errors = 0;
        var refused = 0;
        // Ten seconds at 1,000 frames per second: ten times the rate.
        for (var i = 0; i < 10_000; i++)
        {
            switch (limiter.Admit())
            {
                case FrameAdmission.RefusedWithError:
                    errors++;
                    refused++;
                    break;
                case FrameAdmission.Refused:
                    refused++;
                    break;
            }
            clock.Advance(TimeSpan.TicksPerMillisecond);
        }
        Assert.InRange(refused, 8_000, 9_000);
        Assert.InRange(errors, 1, 11);
    }

    [Fact]
    public void A_client_at_twice_the_rate_is_throttled_but_never_closed()
    {
        var clock = new ManualClock();
        var limiter = Limiter(clock, rate: 100, burst: 200, refusedBeforeClose: 10);
        var admitted = 0;
        // One minute at 200 frames per second (a frame every 5 ms).
        for (var i = 0; i < 12_000; i++)
        {
            var admission = limiter.Admit();
            Assert.NotEqual(FrameAdmission.Close, admission);
            if (admission == FrameAdmission.Admitted)
                admitted++;
            clock.Advance(5 * TimeSpan.TicksPerMillisecond);
        }
        Assert.InRange(admitted, 6_190, 6_200);
    }

    [Fact]
    public void A_client_at_three_times_the_rate_is_closed_once_its_refusals_exceed_the_tolerance()
    {
        var clock = new ManualClock();
        var limiter = Limiter(clock, rate: 100, burst: 200, refusedBeforeClose: 50);
        var frames = 0;
        while (limiter.Admit() != FrameAdmission.Close)
        {
            frames++;
            Assert.True(frames < 10_000, "the flood was never closed");
            clock.Advance(TimeSpan.TicksPerSecond / 300);
        }
        // The burst of 200 lasts 1 s (300 frames); then 200 refusals a second against 100 regained empty the
        // tolerance of 50 in 0.5 s (150 frames).
        Assert.InRange(frames, 440, 460);
    }

    [Fact]
    public void A_pause_restores_the_full_burst()
    {
        var clock = new ManualClock();
        var limiter = Limiter(clock, refusedBeforeClose: 100);
        for (var i = 0; i < 20; i++)
            limiter.Admit();
        clock.AdvanceSeconds(1);
        for (var i = 0; i < 5; i++)
            Assert.Equal(FrameAdmission.Admitted, limiter.Admit());
        Assert.Equal(FrameAdmission.RefusedWithError, limiter.Admit());
    }
}
