using System.Globalization;

namespace Sluice.Server.Cluster;

/// <summary>
/// The id of a change stream entry, chosen by the leader instead of by Redis: <c>{commit LSN}-{first index + 1}</c> for a
/// transaction batch and <c>{LSN}-0</c> for a new-epoch marker. Ids follow commit order, so Redis itself refuses an entry
/// that is not newer than the stream's last one: a new leader replaying from the slot cannot append a duplicate.
/// </summary>
internal readonly record struct ChangeStreamId(ulong Lsn, ulong Sequence) : IComparable<ChangeStreamId>
{
    public static ChangeStreamId Of(Capture.TransactionBatch batch) =>
        batch.NewEpoch is { } epoch ? new ChangeStreamId(epoch.ConfirmedFlushLsn, 0) : new ChangeStreamId(batch.CommitLsn, (ulong)batch.FirstIndex + 1);

    /// <summary>The smallest id after every entry of transactions committed before <paramref name="lsn"/>.</summary>
    public static ChangeStreamId Before(ulong lsn) => lsn == 0 ? default : new ChangeStreamId(lsn - 1, ulong.MaxValue);

    public int CompareTo(ChangeStreamId other)
    {
        var byLsn = Lsn.CompareTo(other.Lsn);
        return byLsn != 0 ? byLsn : Sequence.CompareTo(other.Sequence);
    }

    public static bool operator <(ChangeStreamId left, ChangeStreamId right) => left.CompareTo(right) < 0;
    public static bool operator >(ChangeStreamId left, ChangeStreamId right) => left.CompareTo(right) > 0;
    public static bool operator <=(ChangeStreamId left, ChangeStreamId right) => left.CompareTo(right) <= 0;
    public static bool operator >=(ChangeStreamId left, ChangeStreamId right) => left.CompareTo(right) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Lsn}-{Sequence}");

    public static bool TryParse(string? text, out ChangeStreamId id)
    {
        id = default;
        var dash = text?.IndexOf('-') ?? -1;
        if (dash <= 0
            || !ulong.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var lsn)
            || !ulong.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            return false;
        id = new ChangeStreamId(lsn, sequence);
        return true;
    }
}
