using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Sluice.Server.Hosting;
using Sluice.Server.Log;
using Sluice.Server.Capture;
using Sluice.Server.Database;
using Sluice.Server.Cluster;
using Sluice.Server.Connections;
using Sluice.Server.Dashboard;
using Sluice.Server.Observability;
using Sluice.Server.Rooms;
using Sluice.Server.Routing;

namespace Sluice.Server.Http;

/// <summary>Maps Sluice's HTTP and WebSocket endpoints.</summary>
public static class EndpointMappings
{
    public static WebApplication MapSluice(this WebApplication app)
    {
        // Frames a connection's writer drains together go out in one write (see CoalescingStream).
        app.Use(static (context, next) =>
        {
            if ((context.Request.Path.StartsWithSegments("/realtime") || context.Request.Path.StartsWithSegments("/socket"))
                && context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
                context.Features.Set<IHttpUpgradeFeature>(new CoalescingUpgradeFeature(upgrade));
            return next(context);
        });
        app.UseAdminAccess();
        app.UseWebSockets();
        app.Map("/realtime", RealtimeEndpoint.HandleAsync);
        foreach (var route in SupabaseEndpoint.Routes)
            app.Map(route, SupabaseEndpoint.HandleAsync);

        app.MapGet("/api/realtime/stats", async (ConnectionRegistry connections, SubscriptionRouter router, LogicalCapture capture,
            ChangeDispatcher dispatcher, ChangeLog log, RoomRegistry rooms, NpgsqlDataSource dataSource, IOptions<SluiceOptions> options, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            // Cluster mode only: this node's part and every live node's figures, read from Redis.
            var cluster = services.GetService<ClusterNodeRegistry>() is { } registry ? registry.Local(await registry.ReadNodesAsync()) : null;
            SlotPosition? slot = null;
            try
            {
                slot = await ReplicationSlot.ReadPositionAsync(dataSource, options.Value.SlotName, cancellationToken);
            }
            catch (NpgsqlException)
            {
                // Stats stay available while the database is not; slot figures are then null.
            }
            var retention = router.Retention;
            return TypedResults.Json(new StatsResponse(
                connections.Count,
                router.ChannelCount,
                capture.State.ToString().ToLowerInvariant(),
                dispatcher.ChangesDispatched,
                connections.SlowConsumerDisconnects,
                new NpgsqlLogSequenceNumber(capture.AcknowledgedLsn).ToString(),
                new RetentionResponse(retention.Changes, retention.Bytes, retention.OldestOffset, retention.NewestOffset,
                    log.Limits.MaxChanges, log.Limits.MaxBytes, log.Limits.MaxAge.TotalSeconds),
                slot?.LagBytes,
                slot?.RetainedWalBytes,
                rooms.RoomCount,
                rooms.ConnectionCount,
                SluiceMetrics.Deliveries,
                dispatcher.LastCommitDelay.TotalSeconds,
                cluster),
                ServerJsonContext.Default.StatsResponse);
        }).RequireAdminTokenWhenConfigured();
        app.MapStatsHistory();

        app.MapGet(TableRowsEndpoint.Route, TableRowsEndpoint.HandleAsync);

        app.MapPost(BroadcastEndpoint.BatchRoute, BroadcastEndpoint.HandleBatchAsync);
        app.MapPost(BroadcastEndpoint.SupabaseBase + BroadcastEndpoint.BatchRoute, BroadcastEndpoint.HandleBatchAsync);
        app.MapPost(BroadcastEndpoint.SingleRoute, BroadcastEndpoint.HandleSingleAsync);
        app.MapPost(BroadcastEndpoint.SupabaseBase + BroadcastEndpoint.SingleRoute, BroadcastEndpoint.HandleSingleAsync);

        app.MapGet("/health", (LogicalCapture capture, DatabaseMonitor database) =>
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
        app.MapSluiceObservability();
        app.MapSluiceAdmin();
        app.MapSluiceDashboard();
        return app;
    }
}
