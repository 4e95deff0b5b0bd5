using StackExchange.Redis;

namespace Sluice.Server.Cluster;

/// <summary>
/// The node's Redis connection (one multiplexer, reconnecting by itself) and the names of the cluster's keys. Start-up
/// does not wait for Redis: a node starts while Redis is down and catches up when it returns.
/// </summary>
internal sealed class ClusterRedis : IAsyncDisposable
{
    private ClusterRedis(ConnectionMultiplexer multiplexer, string keyPrefix, string slotName, string nodeId)
    {
        Multiplexer = multiplexer;
        NodeId = nodeId;
        var prefix = $"{keyPrefix}:{slotName}";
        StreamKey = new RedisKey($"{prefix}:changes");
        CompleteFromKey = new RedisKey($"{prefix}:changes:complete-from");
        LastIdKey = new RedisKey($"{prefix}:changes:last");
        StreamNotifications = RedisChannel.Literal($"{prefix}:changes:new");
        Prefix = prefix;
    }

    public ConnectionMultiplexer Multiplexer { get; }
    public IDatabase Database => Multiplexer.GetDatabase();
    public bool IsConnected => Multiplexer.IsConnected;
    public string NodeId { get; }

    /// <summary><c>{prefix}:{slot}</c>: every key of this cluster starts with it.</summary>
    public string Prefix { get; }

    /// <summary>The change stream: one entry per transaction batch, id <c>{commit LSN}-{first index + 1}</c>.</summary>
    public RedisKey StreamKey { get; }

    /// <summary>The stream holds every transaction whose commit LSN is at or after this LSN (decimal).</summary>
    public RedisKey CompleteFromKey { get; }

    /// <summary>The id of the last entry appended (checked by pipelined appends: each needs its predecessor in the stream).</summary>
    public RedisKey LastIdKey { get; }

    /// <summary>Published after each append so readers fetch at once instead of at their next poll.</summary>
    public RedisChannel StreamNotifications { get; }

    public static ClusterRedis Connect(ClusterOptions options, string slotName)
    {
        var configuration = ConfigurationOptions.Parse(options.Redis!);
        configuration.AbortOnConnectFail = false;
        // Commands are not queued while disconnected and replayed later: callers retry, and appends stay in order.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectRetry = 1;
        configuration.ConnectTimeout = 2000;
        configuration.ClientName ??= "sluice";
        var nodeId = string.IsNullOrWhiteSpace(options.NodeId)
            ? $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}"
            : options.NodeId;
        return new ClusterRedis(ConnectionMultiplexer.Connect(configuration), options.KeyPrefix, slotName, nodeId);
    }

    public async ValueTask DisposeAsync() => await Multiplexer.DisposeAsync();
}
