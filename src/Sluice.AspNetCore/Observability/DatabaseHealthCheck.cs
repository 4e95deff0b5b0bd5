using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sluice.Server.Database;

namespace Sluice.Server.Observability;

/// <summary>Ready only while the database answers (<see cref="DatabaseMonitor"/>); otherwise the description says why.</summary>
internal sealed class DatabaseHealthCheck(DatabaseMonitor monitor) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(monitor.Failure is { } failure
            ? HealthCheckResult.Unhealthy(failure)
            : HealthCheckResult.Healthy("the database answers"));
}
