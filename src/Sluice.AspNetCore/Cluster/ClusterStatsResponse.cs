namespace Sluice.Server.Cluster;

/// <summary>
/// The <c>cluster</c> part of <c>GET /api/realtime/stats</c> (null on a single node): this node's part in the cluster, every
/// live node's figures and their totals.
/// </summary>
internal sealed record ClusterStatsResponse(
    string NodeId,
    bool Leader,
    string? LeaderNode,
    bool RedisConnected,
    long StreamLagBytes,
    long StreamEntriesRead,
    long StreamAppended,
    long StreamSkipped,
    long LogRestarts,
    int Nodes,
    int TotalConnections,
    int TotalChannels,
    int TotalRoomConnections,
    long TotalDeliveries,
    IReadOnlyList<NodeFigures> NodeFigures);
