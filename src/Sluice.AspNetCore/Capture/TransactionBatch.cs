namespace Sluice.Server.Capture;

/// <summary>
/// Consecutive changes of one committed transaction, in order. A large transaction arrives as several
/// batches; the one with <see cref="IsLast"/> closes it.
/// </summary>
internal sealed class TransactionBatch
{
    public required uint Xid { get; init; }
    public required ulong CommitLsn { get; init; }
    public required DateTime CommitTimestamp { get; init; }

    /// <summary>Index inside the transaction of <see cref="Changes"/>[0].</summary>
    public required uint FirstIndex { get; init; }
    /// <summary>An array (not a list interface), so the per-change loops of the hot path iterate without allocating.</summary>
    public required RowChange[] Changes { get; init; }
    public required bool IsLast { get; init; }

    /// <summary>On the last batch: the LSN to acknowledge once the transaction is handled.</summary>
    public ulong EndLsn { get; init; }

    /// <summary>Set on a marker batch (no changes) when the slot was recreated: history before it is gone.</summary>
    public EpochStart? NewEpoch { get; init; }

    /// <summary>On the last batch: tables whose realtime the transaction disabled (see <see cref="RealtimeDisabled"/>).</summary>
    public IReadOnlyList<RealtimeDisabled> Disabled { get; init; } = [];
}
