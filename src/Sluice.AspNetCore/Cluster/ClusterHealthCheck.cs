using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.Server.Cluster;

/// <summary>Ready only while the node reaches Redis, reads the change stream and (on the leader) can append to it.</summary>
internal sealed class ClusterHealthCheck(ClusterRedis redis, ChangeStreamFeed feed, ChangeStreamPublisher publisher) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!redis.IsConnected)
            return Task.FromResult(HealthCheckResult.Unhealthy("redis is unreachable"));
        if (!feed.Connected)
            return Task.FromResult(HealthCheckResult.Unhealthy("the change stream cannot be read"));
        if (publisher.Failing)
            return Task.FromResult(HealthCheckResult.Unhealthy("the change stream cannot be appended to"));
        return Task.FromResult(HealthCheckResult.Healthy("redis is reachable"));
    }
}
