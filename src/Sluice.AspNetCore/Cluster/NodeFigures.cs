namespace Sluice.Server.Cluster;

/// <summary>One node's figures as it last wrote them to Redis (<c>cluster.nodes</c> in <c>GET /api/realtime/stats</c>).</summary>
internal sealed record NodeFigures(
    string NodeId,
    bool Leader,
    int Connections,
    int Channels,
    int Rooms,
    int RoomConnections,
    long Deliveries,
    long ChangesDispatched,
    long StreamLagBytes,
    DateTime UpdatedAt);
