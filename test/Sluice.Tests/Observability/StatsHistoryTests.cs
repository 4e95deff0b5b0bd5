using CsCheck;
using Sluice.Server.Observability;

namespace Sluice.Tests.Observability;

/// <summary>The dashboard's history ring: bounded, oldest first, the newest samples kept.</summary>
public sealed class StatsHistoryTests
{
    private static StatsSample Sample(int i) =>
        new(DateTimeOffset.UnixEpoch.AddSeconds(i), ChangesDispatched: i, Deliveries: 2L * i);

    [Fact]
    public void Holds_the_newest_samples_oldest_first_and_never_more_than_its_capacity()
    {
        Gen.Select(Gen.Int[1, 8], Gen.Int[0, 40]).Sample((capacity, added) =>
        {
            var history = new StatsHistory(capacity);
            for (var i = 0; i < added; i++)
                history.Add(Sample(i));

            var expected = Enumerable.Range(Math.Max(0, added - capacity), Math.Min(added, capacity)).Select(Sample);
            Assert.Equal(expected, history.Snapshot());
        });
    }

    [Fact]
    public void The_default_history_spans_the_charts_window_with_one_sample_per_interval()
    {
        var history = new StatsHistory();

        Assert.Equal(StatsHistory.Window / StatsHistory.Interval + 1, history.Capacity);
        Assert.Empty(history.Snapshot());
    }
}
