using Sluice.Server.Capture;
using Sluice.Server.Database;
using Sluice.Server.Log;
using Sluice.Server.RowSecurity;
using Sluice.Server.Snapshots;

namespace Sluice.Server.Routing;

/// <summary>What a protocol session needs to validate and start subscriptions.</summary>
public sealed record SubscriptionServices(
    SubscriptionRouter Router,
    TableCatalog Catalog,
    ChangeLog Log,
    SnapshotReader Snapshots,
    WalHeartbeat Heartbeat,
    SubscriberAccess Access,
    RowAccess RowAccess,
    ChangeFrameFormat NativeFormat);
