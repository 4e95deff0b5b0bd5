namespace Sluice.Server.Http;

/// <summary>
/// <c>GET /api/realtime/stats/history</c>: the running totals of <c>/api/realtime/stats</c> that the dashboard charts,
/// sampled by the server every <see cref="IntervalSeconds"/> over the last two minutes, oldest first. Times are Unix
/// milliseconds; <see cref="Now"/> is the server's clock when answering, so a client can place samples on its own clock.
/// </summary>
internal sealed record StatsHistoryResponse(double IntervalSeconds, long Now, IReadOnlyList<StatsHistoryPoint> Samples);

/// <summary>One sample: <c>changes_dispatched</c> and <c>deliveries</c> as in <see cref="StatsResponse"/>, at <see cref="At"/>.</summary>
internal sealed record StatsHistoryPoint(long At, long ChangesDispatched, long Deliveries);
