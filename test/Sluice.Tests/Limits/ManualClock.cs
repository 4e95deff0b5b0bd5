namespace Sluice.Tests.Limits;

/// <summary>A clock whose timestamps move only when the test says so, with a chosen timestamp frequency.</summary>
internal sealed class ManualClock(long frequency = TimeSpan.TicksPerSecond, long start = 1_000) : TimeProvider
{
    public long Now { get; private set; } = start;

    public override long TimestampFrequency => frequency;

    public override long GetTimestamp() => Now;

    public void Advance(long ticks) => Now += ticks;

    public void AdvanceSeconds(double seconds) => Now += (long)(seconds * frequency);
}
