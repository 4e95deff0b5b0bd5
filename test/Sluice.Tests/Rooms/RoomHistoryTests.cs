using CsCheck;
using Sluice.Server.Rooms;

namespace Sluice.Tests.Rooms;

public sealed class RoomHistoryTests
{
    private static List<string> After(RoomHistory<string> history, ulong since)
    {
        var missed = new List<string>();
        Assert.True(history.TryGetAfter(since, missed));
        return missed;
    }

    [Fact]
    public void Keeps_the_newest_messages_up_to_its_capacity()
    {
        var history = new RoomHistory<string>(3, baseline: 10);
        Assert.Equal(10UL, history.Last);
        Assert.Empty(After(history, 10));
        for (ulong s = 11; s <= 15; s++)
            history.Append(s * 2, 0, "m" + s);
        Assert.Equal(3, history.Count);
        Assert.Equal(30UL, history.Last);
        Assert.Equal(24UL, history.Baseline);
        Assert.Equal(["m13", "m14", "m15"], After(history, 24));
        Assert.Equal(["m15"], After(history, 28));
        Assert.Equal(["m15"], After(history, 29));
        Assert.Empty(After(history, 30));
        Assert.False(history.TryGetAfter(23, []));
    }

    [Fact]
    public void Ages_out_old_messages_and_moves_the_baseline()
    {
        var history = new RoomHistory<string>(100, baseline: 0);
        history.Append(1, timestamp: 100, "a");
        history.Append(2, timestamp: 200, "b");
        history.Append(3, timestamp: 300, "c");
        history.PruneOlderThan(250);
        Assert.Equal(2UL, history.Baseline);
        Assert.Equal(["c"], After(history, 2));
        Assert.False(history.TryGetAfter(1, []));
        history.PruneOlderThan(1000);
        Assert.Equal(0, history.Count);
        Assert.Equal(3UL, history.Last);
        Assert.Empty(After(history, 3));
        history.Append(4, 1001, "d");
        Assert.Equal(["d"], After(history, 3));
    }

    [Fact]
    public void With_no_capacity_only_the_newest_offset_is_resumable()
    {
        var history = new RoomHistory<string>(0, baseline: 5);
        history.Append(7, 0, "x");
        Assert.Equal(0, history.Count);
        Assert.Equal(7UL, history.Last);
        Assert.Empty(After(history, 7));
        Assert.False(history.TryGetAfter(6, []));
    }

    [Fact]
    public void Sequences_must_strictly_increase()
    {
        var history = new RoomHistory<string>(4, baseline: 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => history.Append(5, 0, "x"));
        history.Append(6, 0, "x");
        Assert.Throws<ArgumentOutOfRangeException>(() => history.Append(6, 0, "y"));
    }

    /// <summary>
    /// Against a model that keeps every message: after any mix of appends (with gaps in the sequence) and age
    /// prunes, a resume from any offset at or above the baseline yields exactly the model's messages after it, in
    /// order; a resume from below it is refused; the ring never exceeds its capacity.
    /// </summary>
    [Fact]
    public void Resume_agrees_with_a_model_that_keeps_everything()
    {
        var operation = Gen.OneOf(
            Gen.Select(Gen.Int[1, 3], Gen.Int[0, 5]).Select(t => (Append: true, Gap: t.Item1, Time: t.Item2)),
            Gen.Int[0, 8].Select(age => (Append: false, Gap: 0, Time: age)));
        Gen.Select(Gen.Int[0, 6], Gen.Int[0, 20], operation.List[0, 60]).Sample((capacity, start, operations) =>
        {
            var history = new RoomHistory<ulong>(capacity, (ulong)start);
            var model = new List<(ulong Sequence, long Time)>();
            var sequence = (ulong)start;
            long clock = 0;
            foreach (var (append, gap, time) in operations)
            {
                if (append)
                {
                    clock += time;
                    sequence += (ulong)gap;
                    history.Append(sequence, clock, sequence);
                    model.Add((sequence, clock));
                }
                else
                {
                    history.PruneOlderThan(clock - time);
                }
                if (history.Count > capacity || history.Last != (model.Count == 0 ? (ulong)start : model[^1].Sequence))
                    return false;
            }
            for (var since = (ulong)start; since <= sequence + 1; since++)
            {
                var missed = new List<ulong>();
                var resumable = history.TryGetAfter(since, missed);
                if (resumable != since >= history.Baseline)
                    return false;
                if (!resumable)
                    continue;
                var expected = model.Where(m => m.Sequence > since).Select(m => m.Sequence).ToList();
                if (!expected.SequenceEqual(missed))
                    return false;
            }
            // Offsets handed out strictly increase.
            for (var i = 1; i < model.Count; i++)
            {
                if (model[i].Sequence <= model[i - 1].Sequence)
                    return false;
            }
            return true;
        }, iter: 2_000);
    }
}
