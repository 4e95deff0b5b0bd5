using Sluice.Server.Capture;

namespace Sluice.Server.Log;

/// <summary>One retained change with what is needed to replay it.</summary>
/// <remarks>
/// The log holds up to its retention of these, and every one outlives the collections that follow its arrival, so each
/// field costs garbage-collection work on the hot path: the offset text is not kept (it would be one more object per
/// change), frames write it with <see cref="WriteOffset"/>.
/// </remarks>
internal sealed class LogEntry(
    ChangeOffset offset, LogEpoch epoch, RowChange change, DateTime commitTimestamp, string commitTimestampText, uint xid, bool transactionEnd, long size)
{
    public ChangeOffset Offset { get; } = offset;

    /// <summary>The offset as sent to clients (with the epoch); a new string each time (for messages, not frames).</summary>
    public string OffsetText => Offset.Format(epoch);

    /// <summary>Writes the offset as sent to clients as <paramref name="property"/>'s value, without a string.</summary>
    public void WriteOffset(System.Text.Json.Utf8JsonWriter writer, ReadOnlySpan<byte> property) => Offset.WriteTo(writer, property, epoch);

    public RowChange Change { get; } = change;
    public DateTime CommitTimestamp { get; } = commitTimestamp;

    /// <summary>The commit time as sent to clients, formatted once per transaction and shared by its changes.</summary>
    public string CommitTimestampText { get; } = commitTimestampText;

    public uint Xid { get; } = xid;

    /// <summary>The last change of its transaction.</summary>
    public bool TransactionEnd { get; internal set; } = transactionEnd;

    /// <summary>Estimated bytes held in memory.</summary>
    public long Size { get; } = size;
}
