using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sluice.Server.Capture;

namespace Sluice.Server.Observability;

/// <summary>Ready only while capture streams changes from the replication slot.</summary>
public sealed class CaptureHealthCheck(LogicalCapture capture) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = capture.State;
        return Task.FromResult(state == CaptureState.Streaming
            ? HealthCheckResult.Healthy("capture is streaming")
            : HealthCheckResult.Unhealthy($"capture is {state.ToString().ToLowerInvariant()}"));
    }
}
