using Sluice.Server.Capture;

namespace Sluice.Server.Log;

/// <summary>One retained change with what is needed to replay it.</summary>
internal sealed class LogEntry(
    ChangeOffset offset, string offsetText, RowChange change, DateTime commitTimestamp, string commitTimestampText, uint xid, bool transactionEnd, long size)
{
    public ChangeOffset Offset { get; } = offset;

    /// <summary>The offset as sent to clients (with the epoch), formatted once.</summary>
    public string OffsetText { get; } = offsetText;

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
