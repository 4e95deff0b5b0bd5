using Microsoft.Extensions.Options;
using Sluice.Server.Capture;
using Sluice.Server.Log;

namespace Sluice.Server.Cluster;

/// <summary>Registers either the single-node capture path or the cluster path (leader lease, change stream) — never both.</summary>
public static partial class ClusterServices
{
    public const string ReadyTag = "ready";

    /// <summary>Validates <c>Sluice:Cluster</c> (failing start-up with clear messages) and binds it.</summary>
    public static ClusterOptions Configure(WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(ClusterOptions.SectionName);
        var cluster = section.Get<ClusterOptions>() ?? new ClusterOptions();
        var validation = new DataAnnotationValidateOptions<ClusterOptions>(null).Validate(null, cluster);
        if (validation.Failed)
            throw new OptionsValidationException(ClusterOptions.SectionName, typeof(ClusterOptions), validation.Failures);
        builder.Services.AddOptions<ClusterOptions>().Bind(section);
        return cluster;
    }

    /// <summary>Single node: the capture feeds the dispatcher and always owns the slot.</summary>
    public static void AddSingleNode(IServiceCollection services)
    {
        services.AddSingleton<ICaptureLease, SingleNodeLease>();
        services.AddSingleton<IChangeSource>(static provider => provider.GetRequiredService<LogicalCapture>());
    }

    /// <summary>
    /// Cluster node: connects to Redis (without waiting for it), moves the log's start to where the change stream is complete
    /// from, and registers the lease, the stream feed (the dispatcher's source) and the publisher (the leader's appender).
    /// </summary>
    public static async Task<ClusterRedis> AddClusterNodeAsync(IServiceCollection services, ClusterOptions options, string slotName, ChangeLog log,
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

        services.AddSingleton(redis);
        services.AddSingleton(new ChangeStreamStart(start, log.Epoch));
        services.AddSingleton<AdvisoryLockLease>();
        services.AddSingleton<ICaptureLease>(static provider => provider.GetRequiredService<AdvisoryLockLease>());
        services.AddSingleton<ChangeStreamFeed>();
        services.AddSingleton<IChangeSource>(static provider => provider.GetRequiredService<ChangeStreamFeed>());
        services.AddHostedService(static provider => provider.GetRequiredService<ChangeStreamFeed>());
        services.AddSingleton<ChangeStreamPublisher>();
        services.AddHostedService(static provider => provider.GetRequiredService<ChangeStreamPublisher>());
        services.AddSingleton<ClusterGauges>();
        services.AddSingleton<ClusterNodeRegistry>();
        services.AddHostedService(static provider => provider.GetRequiredService<ClusterNodeRegistry>());
        services.AddSingleton<ClusterRooms>();
        services.AddHostedService(static provider => provider.GetRequiredService<ClusterRooms>());
        services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: [ReadyTag]);
        return redis;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is not reachable at start-up; this node starts and catches up when it is")]
    private static partial void LogRedisUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster mode: node {NodeId}, keys {Prefix}:*, log starts at LSN {Start}")]
    private static partial void LogClusterNode(ILogger logger, string nodeId, string prefix, ulong start);
}
