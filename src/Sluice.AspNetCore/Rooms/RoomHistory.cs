namespace Sluice.Server.Rooms;

/// <summary>
/// A room's recent messages for resuming with <c>since</c>: a ring bounded by count, pruned by age. Every message
/// of the room with a sequence above <see cref="Baseline"/> is in the ring, so a resume after any sequence at or
/// above the baseline replays exactly what was missed. Not thread-safe (the registry's lock guards it).
/// </summary>
/// <typeparam name="T">What is kept per message (the serialized frame).</typeparam>
internal sealed class RoomHistory<T>
{
    private readonly int _capacity;
    private Entry[] _ring = [];
    private int _head;
    private int _count;

    /// <param name="capacity">Most messages kept (0 keeps none).</param>
    /// <param name="baseline">The sequence before the room's first message.</param>
    public RoomHistory(int capacity, ulong baseline)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
        Baseline = baseline;
    }

    /// <summary>Messages at or below this sequence are no longer (or never were) in the history.</summary>
    public ulong Baseline { get; private set; }

    /// <summary>Messages kept.</summary>
    public int Count => _count;

    /// <summary>The sequence of the newest message, or <see cref="Baseline"/> when none is kept.</summary>
    public ulong Last => _count == 0 ? Baseline : _ring[(_head + _count - 1) % _ring.Length].Sequence;

    /// <summary>Adds the newest message; its sequence must be above <see cref="Last"/>. Evicts the oldest when full.</summary>
    public void Append(ulong sequence, long timestamp, T item)
    {
        if (sequence <= Last)
            throw new ArgumentOutOfRangeException(nameof(sequence), "room sequences must strictly increase");
        if (_capacity == 0)
        {
            Baseline = sequence;
            return;
        }
        if (_count == _ring.Length)
        {
            if (_ring.Length < _capacity)
                Grow();
            else
                EvictOldest();
        }
        _ring[(_head + _count) % _ring.Length] = new Entry(sequence, timestamp, item);
        _count++;
    }

    /// <summary>Evicts messages with a timestamp before <paramref name="cutoff"/>.</summary>
    public void PruneOlderThan(long cutoff)
    {
        while (_count > 0 && _ring[_head].Timestamp < cutoff)
            EvictOldest();
        if (_count == 0 && _ring.Length > 0)
        {
            _ring = [];
            _head = 0;
        }
    }

    /// <summary>
    /// The kept messages after <paramref name="since"/>, oldest first, into <paramref name="missed"/>; false when
    /// messages after it have been evicted (<paramref name="since"/> is below <see cref="Baseline"/>).
    /// </summary>
    public bool TryGetAfter(ulong since, List<T> missed)
    {
        if (since < Baseline)
            return false;
        for (var i = 0; i < _count; i++)
        {
            var entry = _ring[(_head + i) % _ring.Length];
            if (entry.Sequence > since)
                missed.Add(entry.Item);
        }
        return true;
    }

    /// <summary>The ring starts small and doubles up to the capacity, so quiet rooms stay cheap.</summary>
    private void Grow()
    {
        var larger = new Entry[Math.Min(_capacity, Math.Max(4, _ring.Length * 2))];
        for (var i = 0; i < _count; i++)
            larger[i] = _ring[(_head + i) % _ring.Length];
        _ring = larger;
        _head = 0;
    }

    private void EvictOldest()
    {
        Baseline = _ring[_head].Sequence;
        _ring[_head] = default;
        _head = (_head + 1) % _ring.Length;
        _count--;
    }

    private readonly record struct Entry(ulong Sequence, long Timestamp, T Item);
}
