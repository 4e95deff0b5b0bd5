using Sluice.Server.Capture;

namespace Sluice.Server.Log;

/// <summary>
/// The retention window: committed changes in commit order, bounded by count, bytes and age, so clients
/// can resume with <c>since</c>. The replication slot is acknowledged only past transactions that have
/// left the window, so after a crash PostgreSQL replays the window and the log is rebuilt with the same
/// offsets. Not thread-safe: the router owns it under its lock.
/// </summary>
internal sealed class ChangeLog(LogEpoch epoch, RetentionLimits limits)
{
    private readonly RingBuffer<LogEntry> _entries = new();
    private readonly Queue<(ChangeOffset LastOffset, ulong EndLsn)> _transactionEnds = new();

    public LogEpoch Epoch { get; private set; } = epoch;
    public RetentionLimits Limits { get; } = limits;

    /// <summary>Every change after this offset is in the log or still to come; resuming from before it needs a resync.</summary>
    public ChangeOffset Horizon { get; private set; }

    /// <summary>The newest appended change, or null when none was appended since start-up.</summary>
    public ChangeOffset? Newest { get; private set; }

    /// <summary>The WAL position up to which nothing in the window is needed: safe to confirm to the slot.</summary>
    public ulong AcknowledgeableLsn { get; private set; }

    public int Count => _entries.Count;
    public long Bytes { get; private set; }

    /// <summary>Bytes of large entries (1 MiB and up) evicted since <see cref="TakeReleasedLargeBytes"/> was last called.</summary>
    private long _releasedLargeBytes;

    /// <summary>How many bytes of large entries left the window since the last call (see <see cref="Routing.ChangeDispatcher"/>).</summary>
    public long TakeReleasedLargeBytes()
    {
        // Read by the dispatcher outside the router's lock: the one field of the log that is thread-safe.
        return Interlocked.Exchange(ref _releasedLargeBytes, 0);
    }
    public LogEntry this[int index] => _entries[index];

    /// <summary>Starts the window where the slot will resume: the first replayed commit is at or after <paramref name="confirmedFlushLsn"/>.</summary>
    public void Start(ulong confirmedFlushLsn)
    {
        Horizon = confirmedFlushLsn == 0 ? default : new ChangeOffset(confirmedFlushLsn - 1, uint.MaxValue);
        AcknowledgeableLsn = confirmedFlushLsn;
    }

    /// <summary>Forgets everything: a new slot and epoch begin at <paramref name="confirmedFlushLsn"/>.</summary>
    public void Restart(LogEpoch epoch, ulong confirmedFlushLsn)
    {
        while (_entries.Count > 0)
            _entries.RemoveFirst();
        _transactionEnds.Clear();
        Bytes = 0;
        Newest = null;
        Epoch = epoch;
        Start(confirmedFlushLsn);
    }

    public string Format(ChangeOffset offset) => offset.Format(Epoch);

    public LogEntry Append(ChangeOffset offset, RowChange change, DateTime commitTimestamp, uint xid, bool transactionEnd)
    {
        var timestampText = _entries.Count > 0 && _entries[_entries.Count - 1] is { } previous && previous.CommitTimestamp == commitTimestamp
            ? previous.CommitTimestampText
            : CommitTimestamp.Format(commitTimestamp);
        var entry = new LogEntry(offset, Epoch, change, commitTimestamp, timestampText, xid, transactionEnd, EstimateSize(change));
        _entries.Add(entry);
        Bytes += entry.Size;
        Newest = offset;
        return entry;
    }

    /// <summary>Records the end of a transaction (possibly without changes) so the slot can pass it once it leaves the window.</summary>
    public void EndTransaction(ulong commitLsn, ulong endLsn)
    {
        var last = Newest ?? Horizon;
        if (_entries.Count > 0 && _entries[_entries.Count - 1] is { } newest && newest.Offset.CommitLsn == commitLsn)
        {
            newest.TransactionEnd = true;
            last = newest.Offset;
        }
        _transactionEnds.Enqueue((last, endLsn));
    }

    /// <summary>Drops what is beyond the limits, oldest first.</summary>
    public void Evict(DateTime utcNow)
    {
        var oldestKept = utcNow - Limits.MaxAge;
        while (_entries.Count > 0
               && (_entries.Count > Limits.MaxChanges || Bytes > Limits.MaxBytes || _entries[0].CommitTimestamp < oldestKept))
        {
            var evicted = _entries.RemoveFirst();
            Bytes -= evicted.Size;
            if (evicted.Size >= 1024 * 1024)
                Interlocked.Add(ref _releasedLargeBytes, evicted.Size);
            Horizon = evicted.Offset;
        }
        var horizon = _entries.Count == 0 && Newest is { } newest && newest > Horizon ? newest : Horizon;
        while (_transactionEnds.Count > 0 && _transactionEnds.Peek().LastOffset <= horizon)
            AcknowledgeableLsn = Math.Max(AcknowledgeableLsn, _transactionEnds.Dequeue().EndLsn);
    }

    /// <summary>Index of the first entry after <paramref name="offset"/> (Count when none).</summary>
    public int FirstIndexAfter(ChangeOffset offset)
    {
        int low = 0, high = _entries.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_entries[middle].Offset <= offset)
                low = middle + 1;
            else
                high = middle;
        }
        return low;
    }

    private static long EstimateSize(RowChange change) =>
        128 + EstimateSize(change.NewValues) + EstimateSize(change.OldValues);

    private static long EstimateSize(string?[]? values)
    {
        if (values is null)
            return 0;
        long size = 24 + 8L * values.Length;
        foreach (var value in values)
        {
            if (value is not null)
                size += 24 + 2L * value.Length;
        }
        return size;
    }
}
