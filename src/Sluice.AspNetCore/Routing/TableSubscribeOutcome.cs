using Sluice.Server.Capture;
using Sluice.Server.Filters;

namespace Sluice.Server.Routing;

/// <summary>What a step of <see cref="TableSubscriptions"/> came to; each protocol maps it to its frames.</summary>
internal enum TableSubscribeResult
{
    /// <summary>The table does not exist.</summary>
    NotFound,
    /// <summary>Realtime is not enabled for the table.</summary>
    NotEnabled,
    /// <summary>The filter does not parse or does not fit the table (<see cref="TableSubscribeOutcome.Detail"/>: why).</summary>
    InvalidFilter,
    /// <summary>The connection's identity may not read the table (<see cref="TableSubscribeOutcome.Detail"/>: why).</summary>
    Forbidden,
    /// <summary>The <c>since</c> offset was never issued: it lies beyond the database's WAL.</summary>
    InvalidOffset,
    /// <summary>Resolved (<see cref="TableSubscribeOutcome.Table"/>, <see cref="TableSubscribeOutcome.Filter"/>), or a resume prepared: the next step may run.</summary>
    Ready,
    /// <summary>Live from the offset in <see cref="TableSubscribeOutcome.Detail"/> (the subscription's start is queued).</summary>
    Live,
    /// <summary>Resumed after <c>since</c>: the retained changes since then are queued, then live ones.</summary>
    Resumed,
    /// <summary>The subscription cannot continue from where the client stands (<see cref="TableSubscribeOutcome.Resync"/>: why); nothing is registered.</summary>
    ResyncRequired,
    /// <summary>The snapshot was queued, then the changes it does not contain; live from there.</summary>
    SnapshotSent,
}

/// <summary>Why a subscription needs a resync.</summary>
internal enum ResyncReason
{
    None,
    /// <summary>The offset is from another log epoch (the replication slot was recreated or the database restored).</summary>
    OtherEpoch,
    /// <summary>The changes after the offset have left the retention window.</summary>
    HistoryGone,
    /// <summary>Changes made during the snapshot left the retention window before it finished.</summary>
    SnapshotOutlived,
}

/// <summary>The outcome of a step of the table-subscription use case (<see cref="TableSubscriptions"/>).</summary>
internal readonly record struct TableSubscribeOutcome(TableSubscribeResult Result, string? Detail = null, ResyncReason Resync = ResyncReason.None)
{
    /// <summary>With <see cref="TableSubscribeResult.Ready"/> from <see cref="TableSubscriptions.ResolveAsync"/>: the table as looked up.</summary>
    public TableSchema? Table { get; init; }

    /// <summary>With <see cref="TableSubscribeResult.Ready"/>: the filter bound to <see cref="Table"/>, null without one.</summary>
    public RowFilter? Filter { get; init; }

    /// <summary>With <see cref="TableSubscribeResult.Ready"/>: rows (a snapshot's) are read as the connection's role, so its policies apply.</summary>
    public bool AssumeRole { get; init; }

    public static TableSubscribeOutcome Of(TableSubscribeResult result) => new(result);

    public static TableSubscribeOutcome NeedsResync(ResyncReason reason) => new(TableSubscribeResult.ResyncRequired, Resync: reason);
}
