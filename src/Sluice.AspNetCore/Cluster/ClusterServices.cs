using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Sluice.Server.Capture;
using Sluice.Server.Hosting;
using Sluice.Server.Log;

namespace Sluice.Server.Cluster;

/// <summary>
/// Registers both the single-node capture path and the cluster path (leader lease, change stream); which one a server
/// uses is decided from <see cref="ClusterOptions.Enabled"/> when the services are first asked for, after start-up has
/// prepared the database — never both. <see cref="SluiceStartup"/> starts the cluster's services only on a cluster node.
/// </summary>
internal static partial class ClusterServices
{
    public const string ReadyTag = "ready";

    /// <summary>The cluster node's own hosted services, in start order (started after the database is prepared).</summary>
    public static readonly IReadOnlyList<Type> HostedServices =
        [typeof(ChangeStreamFeed), typeof(ChangeStreamPublisher), typeof(ClusterNodeRegistry), typeof(ClusterRooms)];

    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<SingleNodeLease>();
        services.AddSingleton<ICaptureLease>(static provider => IsCluster(provider)
            ? provider.GetRequiredService<AdvisoryLockLease>()
            : provider.GetRequiredService<SingleNodeLease>());
        // Single node: the capture feeds the dispatcher. Cluster node: the change stream does (the leader's capture appends to it).
        services.AddSingleton<IChangeSource>(static provider => IsCluster(provider)
            ? provider.GetRequiredService<ChangeStreamFeed>()
            : provider.GetRequiredService<LogicalCapture>());

        services.AddSingleton(static provider => provider.GetRequiredService<SluiceStartupState>().Redis);
        services.AddSingleton(static provider => provider.GetRequiredService<SluiceStartupState>().StreamStart);
        services.AddSingleton<AdvisoryLockLease>();
        services.AddSingleton<ChangeStreamFeed>();
        services.AddSingleton<ChangeStreamPublisher>();
        services.AddSingleton<ClusterGauges>();
        services.AddSingleton<ClusterNodeRegistry>();
        services.AddSingleton<ClusterRooms>();
        services.AddOptions<HealthCheckServiceOptions>().Configure<IOptions<ClusterOptions>>(static (health, cluster) =>
        {
            try
            {
                if (!cluster.Value.Enabled)
                    return;
            }
            catch (OptionsValidationException)
            {
                return; // a bad Sluice:Cluster setting: the host's start-up validation reports it, with the other sections'
            }
            var check = new HealthCheckRegistration("cluster", static provider => ActivatorUtilities.GetServiceOrCreateInstance<ClusterHealthCheck>(provider),
                failureStatus: null, tags: [ReadyTag]);
            // First, as when it was registered before the capture's and the database's checks.
            if (health.Registrations is IList<HealthCheckRegistration> list)
                list.Insert(0, check);
            else
                health.Registrations.Add(check);
        });
    }

    /// <summary>
    /// Cluster node: connects to Redis (without waiting for it) and moves the log's start to where the change stream is
    /// complete from.
    /// </summary>
    public static async Task<(ClusterRedis Redis, ChangeStreamStart Start)> JoinAsync(ClusterOptions options, string slotName, ChangeLog log,
        ulong confirmedFlushLsn, ILogger logger)
    {
        var redis = ClusterRedis.Connect(options, slotName);
        ulong completeFrom = 0;
        try
        {
            completeFrom = (ulong?)(long?)await redis.Database.StringGetAsync(redis.CompleteFromKey) ?? 0;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogRedisUnavailable(logger, ex);
        }
        var start = Math.Max(confirmedFlushLsn, completeFrom);
        log.Start(start);
        LogClusterNode(logger, redis.NodeId, redis.Prefix, start);
        return (redis, new ChangeStreamStart(start, log.Epoch));
    }

    private static bool IsCluster(IServiceProvider provider) => provider.GetRequiredService<IOptions<ClusterOptions>>().Value.Enabled;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is not reachable at start-up; this node starts and catches up when it is")]
    private static partial void LogRedisUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster mode: node {NodeId}, keys {Prefix}:*, log starts at LSN {Start}")]
    private static partial void LogClusterNode(ILogger logger, string nodeId, string prefix, ulong start);
}
