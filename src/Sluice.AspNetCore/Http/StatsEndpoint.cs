using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Sluice.Server.Capture;
using Sluice.Server.Cluster;
using Sluice.Server.Connections;
using Sluice.Server.Hosting;
using Sluice.Server.Log;
using Sluice.Server.Observability;
using Sluice.Server.Rooms;
using Sluice.Server.Routing;

namespace Sluice.Server.Http;

/// <summary><c>/api/realtime/stats</c>: the server's figures for the dashboard, the CLI's <c>status</c> and monitoring.</summary>
internal static class StatsEndpoint
{
    public const string Route = "/api/realtime/stats";

    public static RouteHandlerBuilder MapStats(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(Route, async (ConnectionRegistry connections, SubscriptionRouter router, LogicalCapture capture,
            ChangeDispatcher dispatcher, ChangeLog log, RoomRegistry rooms, NpgsqlDataSource dataSource, IOptions<SluiceOptions> options,
            IOptions<ClusterOptions> clusterOptions, SluiceMetrics metrics, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            // Cluster mode only: this node's part and every live node's figures, read from Redis.
            var cluster = clusterOptions.Value.Enabled && services.GetRequiredService<ClusterNodeRegistry>() is { } registry
                ? registry.Local(await registry.ReadNodesAsync())
                : null;
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
                metrics.Deliveries,
                dispatcher.LastCommitDelay.TotalSeconds,
                metrics.FellBehindEvents,
                cluster),
                ServerJsonContext.Default.StatsResponse);
        }).RequireAdminTokenWhenConfigured();
}
