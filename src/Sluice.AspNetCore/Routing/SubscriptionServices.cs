using Sluice.Server.Capture;
using Sluice.Server.Database;
using Sluice.Server.Log;
using Sluice.Server.RowSecurity;
using Sluice.Server.Snapshots;

namespace Sluice.Server.Routing;

/// <summary>What a protocol session needs to validate and start subscriptions.</summary>
internal sealed record SubscriptionServices(
    SubscriptionRouter Router,
    TableCatalog Catalog,
    ChangeLog Log,
    SnapshotReader Snapshots,
    WalHeartbeat Heartbeat,
    TableAccessResolver Tables,
    RowAccess RowAccess,
    StartupCatchUp StartupCatchUp)
{
    /// <summary>
    /// Whether <paramref name="since"/> (of the current epoch) lies beyond the database's WAL, so Sluice never issued it:
    /// refused with <c>invalid_offset</c> rather than acknowledged and then silent. An offset past what was dispatched but
    /// within the WAL is real (after a restart the log replays up to it) and is waited for. Queries the database only for
    /// offsets past the last dispatched transaction.
    /// </summary>
    public async Task<bool> IsNeverIssuedAsync(ChangeOffset since, CancellationToken cancellationToken) =>
        since.CommitLsn > Router.LastCommitLsn && since.CommitLsn > await Heartbeat.CurrentLsnAsync(cancellationToken);
}
