using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sluice.Server.Capture;

namespace Sluice.Server.Observability;

/// <summary>
/// Ready only while capture streams changes from the replication slot (or, on a cluster node that is not the leader,
/// stands by); otherwise the description says why, e.g. that the database cannot be reached.
/// </summary>
internal sealed class CaptureHealthCheck(LogicalCapture capture) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = capture.State;
        return Task.FromResult(state is CaptureState.Streaming or CaptureState.Standby
            ? HealthCheckResult.Healthy($"capture is {state.ToString().ToLowerInvariant()}")
            : HealthCheckResult.Unhealthy($"capture is {state.ToString().ToLowerInvariant()}{(capture.Failure is { } failure ? ": " + failure : "")}"));
    }
}
