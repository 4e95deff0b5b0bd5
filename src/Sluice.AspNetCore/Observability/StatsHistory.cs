namespace Sluice.Server.Observability;

/// <summary>
/// The recent past of the figures the dashboard charts, sampled by <see cref="StatsHistorySampler"/> every
/// <see cref="Interval"/>, so a page that was just opened or reloaded draws the last <see cref="Window"/> at once
/// instead of starting empty. A fixed ring of <see cref="Capacity"/> samples: the newest overwrites the oldest, memory
/// never grows. One sampler writes; any number of requests read.
/// </summary>
internal sealed class StatsHistory
{
    /// <summary>Time between two samples (the dashboard polls the live figures as often).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>How far back the history reaches: the span of the dashboard's chart.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(2);

    private readonly Lock _gate = new();
    private readonly StatsSample[] _ring;
    private int _next;
    private int _count;

    /// <summary>A history of <see cref="Window"/> at <see cref="Interval"/>: one sample more than intervals, so every interval has a rate.</summary>
    public StatsHistory()
        : this((int)(Window / Interval) + 1)
    {
    }

    public StatsHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new StatsSample[capacity];
    }

    public int Capacity => _ring.Length;

    public void Add(StatsSample sample)
    {
        lock (_gate)
        {
            _ring[_next] = sample;
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
        }
    }

    /// <summary>The samples held, oldest first.</summary>
    public StatsSample[] Snapshot()
    {
        lock (_gate)
        {
            var samples = new StatsSample[_count];
            var first = (_next - _count + _ring.Length) % _ring.Length;
            for (var i = 0; i < _count; i++)
                samples[i] = _ring[(first + i) % _ring.Length];
            return samples;
        }
    }
}

/// <summary>The running totals the dashboard turns into rates, at one instant.</summary>
internal readonly record struct StatsSample(DateTimeOffset At, long ChangesDispatched, long Deliveries);
