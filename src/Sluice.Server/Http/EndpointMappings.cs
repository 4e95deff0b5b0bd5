using NpgsqlTypes;
using Sluice.Server.Capture;
using Sluice.Server.Connections;
using Sluice.Server.Routing;

namespace Sluice.Server.Http;

/// <summary>Maps Sluice's HTTP and WebSocket endpoints.</summary>
public static class EndpointMappings
{
    public static WebApplication MapSluice(this WebApplication app)
    {
        app.UseWebSockets();
        app.Map("/realtime", RealtimeEndpoint.HandleAsync);

        app.MapGet("/api/realtime/stats", (ConnectionRegistry connections, SubscriptionRouter router, LogicalCapture capture, ChangeDispatcher dispatcher) =>
            TypedResults.Json(new StatsResponse(
                connections.Count,
                router.ChannelCount,
                capture.State.ToString().ToLowerInvariant(),
                dispatcher.ChangesDispatched,
                connections.SlowConsumerDisconnects,
                new NpgsqlLogSequenceNumber(capture.AcknowledgedLsn).ToString()),
                ServerJsonContext.Default.StatsResponse));

        app.MapGet("/health", (LogicalCapture capture) =>
        {
            var streaming = capture.State == CaptureState.Streaming;
            return TypedResults.Json(
                new HealthResponse(streaming ? "ok" : "degraded", capture.State.ToString().ToLowerInvariant()),
                ServerJsonContext.Default.HealthResponse,
                statusCode: streaming ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return app;
    }
}
