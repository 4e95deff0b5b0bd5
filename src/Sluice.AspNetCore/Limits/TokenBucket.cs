namespace Sluice.Server.Limits;

/// <summary>
/// A token bucket: it holds at most <c>burst</c> tokens, gains <c>rate</c> tokens per second and each admitted
/// event takes one, so over any interval of length t it admits at most <c>burst + rate·t</c> events, and a sender
/// that stays within <c>rate</c> per second is never refused. It starts full. The arithmetic is exact (integers
/// in units of 1/<see cref="TimeProvider.TimestampFrequency"/> token), so the bound holds without rounding.
/// Not thread-safe: one owner, such as a connection's receive loop.
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly long _rate;
    private readonly long _tokenUnits;
    private readonly long _capacity;
    private long _level;
    private long _lastTimestamp;

    /// <param name="ratePerSecond">Tokens gained per second (at least 1).</param>
    /// <param name="burst">Most tokens held, and so most events admitted at once (at least 1).</param>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> outside tests.</param>
    public TokenBucket(int ratePerSecond, int burst, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ratePerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _rate = ratePerSecond;
        _tokenUnits = time.TimestampFrequency;
        _capacity = checked(burst * _tokenUnits);
        _level = _capacity;
        _lastTimestamp = time.GetTimestamp();
    }

    /// <summary>Tokens available now, rounded down.</summary>
    public long Available
    {
        get
        {
            Refill();
            return _level / _tokenUnits;
        }
    }

    /// <summary>Takes a token if one is available: true admits the event, false refuses it (and takes nothing).</summary>
    public bool TryTake()
    {
        Refill();
        if (_level < _tokenUnits)
            return false;
        _level -= _tokenUnits;
        return true;
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = now - _lastTimestamp;
        if (elapsed <= 0)
            return;
        _lastTimestamp = now;
        var missing = _capacity - _level;
        // elapsed · rate overflows after a long idle time; compare by division first (then the product is at most missing).
        if (elapsed > missing / _rate)
            _level = _capacity;
        else
            _level += elapsed * _rate;
    }
}
