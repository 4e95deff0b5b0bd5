namespace Sluice.Server.Http;

/// <summary><c>GET /api/realtime/stats</c>: the Fluxbase <c>connections</c> and <c>channels</c>, plus additive figures.</summary>
internal sealed record StatsResponse(
    int Connections,
    int Channels,
    string Capture,
    long ChangesDispatched,
    long SlowConsumerDisconnects,
    string AcknowledgedLsn,
    RetentionResponse Retention,
    long? SlotLagBytes,
    long? RetainedWalBytes,
    int Rooms,
    int RoomConnections,
    long Deliveries,
    double CaptureLagSeconds,
    long FellBehind,
    Cluster.ClusterStatsResponse? Cluster = null);
