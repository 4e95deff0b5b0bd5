using Sluice.Server.Capture;
using Sluice.Server.Database;

namespace Sluice.Server.Http;

/// <summary><c>/health</c>: 200 while capture streams (or stands by, on a cluster follower) and the database answers, else 503 with the reason.</summary>
internal static class HealthEndpoint
{
    public const string Route = "/health";

    public static RouteHandlerBuilder MapHealth(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(Route, static (LogicalCapture capture, DatabaseMonitor database) =>
        {
            var state = capture.State;
            var streaming = (state is CaptureState.Streaming or CaptureState.Standby) && database.Failure is null;
            // Degraded always says why, also in the moments when no failure is recorded (starting, or retrying before it is).
            var reason = streaming ? null : database.Failure ?? capture.Failure ?? state switch
            {
                CaptureState.Starting => "capture is starting: connecting to the database's replication stream",
                CaptureState.Stopped => "capture is stopped: the server is shutting down",
                _ => "capture is reconnecting to the database's replication stream",
            };
            return TypedResults.Json(
                new HealthResponse(streaming ? "ok" : "degraded", state.ToString().ToLowerInvariant(), reason),
                ServerJsonContext.Default.HealthResponse,
                statusCode: streaming ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
}
