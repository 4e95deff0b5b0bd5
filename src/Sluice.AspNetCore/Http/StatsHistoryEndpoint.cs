using Sluice.Server.Observability;

namespace Sluice.Server.Http;

/// <summary>Serves <see cref="StatsHistory"/> to the dashboard, protected like <c>/api/realtime/stats</c>.</summary>
internal static class StatsHistoryEndpoint
{
    public const string Route = "/api/realtime/stats/history";

    public static RouteHandlerBuilder MapStatsHistory(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(Route, static (StatsHistory history, TimeProvider time) =>
        {
            var samples = history.Snapshot();
            var points = new StatsHistoryPoint[samples.Length];
            for (var i = 0; i < samples.Length; i++)
                points[i] = new StatsHistoryPoint(samples[i].At.ToUnixTimeMilliseconds(), samples[i].ChangesDispatched, samples[i].Deliveries);
            return TypedResults.Json(
                new StatsHistoryResponse(StatsHistory.Interval.TotalSeconds, time.GetUtcNow().ToUnixTimeMilliseconds(), points),
                ServerJsonContext.Default.StatsHistoryResponse);
        }).RequireAdminTokenWhenConfigured();
}
