using System.Diagnostics;
using HdrHistogram;

namespace Sluice.Bench.Clients;

/// <summary>An HdrHistogram of latencies in microseconds, safe to record from many receive loops.</summary>
public sealed class LatencyRecorder
{
    private const long HighestMicroseconds = 120_000_000;
    private readonly Recorder _recorder = HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1).WithValuesUpTo(HighestMicroseconds).WithPrecisionOf(3)
        .WithThreadSafeWrites().WithThreadSafeReads().Create();

    /// <summary>Records a latency given in Stopwatch ticks.</summary>
    public void Record(long stopwatchTicks)
    {
        var micros = stopwatchTicks * 1_000_000 / Stopwatch.Frequency;
        _recorder.RecordValue(Math.Clamp(micros, 1, HighestMicroseconds));
    }

    /// <summary>Everything recorded so far (and starts a fresh interval).</summary>
    public HistogramBase Snapshot() => _recorder.GetIntervalHistogram();
}
