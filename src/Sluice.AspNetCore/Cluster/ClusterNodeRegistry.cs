using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Sluice.Server.Connections;
using Sluice.Server.Observability;
using Sluice.Server.Rooms;
using Sluice.Server.Routing;
using StackExchange.Redis;

namespace Sluice.Server.Cluster;

/// <summary>
/// Each node writes its figures to <c>{prefix}:{slot}:node:{id}</c> every <see cref="ClusterOptions.NodeHeartbeatInterval"/>
/// with an expiry of <see cref="ClusterOptions.NodeTimeout"/>, and its id with the time into the sorted set
/// <c>{prefix}:{slot}:nodes</c>. A node whose key expired is dead: it drops out of the cluster figures, and its room
/// presence entries are removed.
/// </summary>
internal sealed partial class ClusterNodeRegistry(
    ClusterRedis redis,
    IOptions<ClusterOptions> options,
    ConnectionRegistry connections,
    SubscriptionRouter router,
    RoomRegistry rooms,
    ChangeDispatcher dispatcher,
    ChangeStreamFeed feed,
    ChangeStreamPublisher publisher,
    AdvisoryLockLease lease,
    ClusterGauges gauges,
    SluiceMetrics metrics,
    ILogger<ClusterNodeRegistry> logger) : BackgroundService
{
    /// <summary>The cluster gauges live as long as the registry (created with it at start-up).</summary>
    public ClusterGauges Gauges { get; } = gauges;

    private readonly RedisKey _nodes = new($"{redis.Prefix}:nodes");
    private bool _failing;

    public ClusterStatsResponse Local(IReadOnlyList<NodeFigures> nodes)
    {
        string? leaderNode = null;
        int totalConnections = 0, totalChannels = 0, totalRoomConnections = 0;
        long totalDeliveries = 0;
        foreach (var node in nodes)
        {
            if (node.Leader)
                leaderNode = node.NodeId;
            totalConnections += node.Connections;
            totalChannels += node.Channels;
            totalRoomConnections += node.RoomConnections;
            totalDeliveries += node.Deliveries;
        }
        return new ClusterStatsResponse(redis.NodeId, lease.IsLeader, lease.IsLeader ? redis.NodeId : leaderNode, redis.IsConnected,
            feed.LagBytes, feed.EntriesRead, publisher.Appended, publisher.Skipped, feed.Restarts,
            nodes.Count, totalConnections, totalChannels, totalRoomConnections, totalDeliveries, nodes);
    }

    /// <summary>The figures of every live node (this one included when Redis is reachable); empty when Redis is not.</summary>
    public async Task<IReadOnlyList<NodeFigures>> ReadNodesAsync()
    {
        try
        {
            var database = redis.Database;
            var ids = await database.SortedSetRangeByScoreAsync(_nodes,
                DateTimeOffset.UtcNow.Add(-options.Value.NodeTimeout).ToUnixTimeMilliseconds(), double.PositiveInfinity);
            if (ids.Length == 0)
                return [];
            var keys = new RedisKey[ids.Length];
            for (var i = 0; i < ids.Length; i++)
                keys[i] = NodeKey(ids[i].ToString());
            var values = await database.StringGetAsync(keys);
            var figures = new List<NodeFigures>(values.Length);
            foreach (var value in values)
            {
                if (!value.IsNull && JsonSerializer.Deserialize((byte[])value!, ClusterJsonContext.Default.NodeFigures) is { } node)
                    figures.Add(node);
            }
            figures.Sort(static (a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
            return figures;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return [];
        }
    }

    /// <summary>Ids of the nodes whose liveness key has not expired; null when Redis cannot be asked.</summary>
    public async Task<HashSet<string>?> LiveNodeIdsAsync()
    {
        try
        {
            var database = redis.Database;
            var ids = await database.SortedSetRangeByScoreAsync(_nodes,
                DateTimeOffset.UtcNow.Add(-options.Value.NodeTimeout).ToUnixTimeMilliseconds(), double.PositiveInfinity);
            var live = new HashSet<string>(StringComparer.Ordinal) { redis.NodeId };
            foreach (var id in ids)
                live.Add(id.ToString());
            return live;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return null;
        }
    }

    private RedisKey NodeKey(string nodeId) => new($"{redis.Prefix}:node:{nodeId}");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.NodeHeartbeatInterval);
        try
        {
            do
            {
                try
                {
                    var figures = new NodeFigures(redis.NodeId, lease.IsLeader, connections.Count, router.ChannelCount, rooms.RoomCount,
                        rooms.ConnectionCount, metrics.Deliveries, dispatcher.ChangesDispatched, feed.LagBytes, DateTime.UtcNow);
                    var database = redis.Database;
                    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    var batch = database.CreateBatch();
                    var set = batch.StringSetAsync(NodeKey(redis.NodeId), JsonSerializer.SerializeToUtf8Bytes(figures, ClusterJsonContext.Default.NodeFigures),
                        options.Value.NodeTimeout);
                    var add = batch.SortedSetAddAsync(_nodes, redis.NodeId, now);
                    var prune = batch.SortedSetRemoveRangeByScoreAsync(_nodes, double.NegativeInfinity,
                        now - (long)(options.Value.NodeTimeout.TotalMilliseconds * 10));
                    batch.Execute();
                    await Task.WhenAll(set, add, prune);
                    _failing = false;
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    if (!_failing)
                        LogHeartbeatFailed(ex);
                    _failing = true;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write this node's liveness key to Redis; retrying")]
    private partial void LogHeartbeatFailed(Exception exception);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(NodeFigures))]
internal sealed partial class ClusterJsonContext : JsonSerializerContext;
