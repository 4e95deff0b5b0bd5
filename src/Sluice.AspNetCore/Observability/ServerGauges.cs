using System.Diagnostics.Metrics;
using Sluice.Server.Capture;
using Sluice.Server.Connections;
using Sluice.Server.Log;
using Sluice.Server.Routing;
using Sluice.Server.RowSecurity;

namespace Sluice.Server.Observability;

/// <summary>
/// The gauges of one running server (connections, channels, capture state, replication lag, retention) and its
/// row-level security check count,
/// observed from its services when a collector asks. Created from the host's <see cref="IMeterFactory"/>,
/// so they go away with the host.
/// </summary>
internal sealed class ServerGauges
{
    private readonly Meter _meter;

    public ServerGauges(IMeterFactory meterFactory, ConnectionRegistry connections, SubscriptionRouter router, LogicalCapture capture,
        ChangeDispatcher dispatcher, ChangeLog log, SlotMonitor slot, RowAccessChecker rowChecks)
    {
        _meter = meterFactory.Create(SluiceMetrics.MeterName);
        _meter.CreateObservableGauge("sluice.connections", () => connections.Count, "{connection}", "Open WebSocket connections");
        _meter.CreateObservableGauge("sluice.channels", () => router.ChannelCount, "{channel}", "Channels with at least one subscriber");
        _meter.CreateObservableGauge("sluice.capture.streaming", () => capture.State == CaptureState.Streaming ? 1 : 0, null,
            "1 while changes stream from the replication slot, 0 otherwise");
        _meter.CreateObservableGauge("sluice.capture.lag", () => dispatcher.LastCommitDelay.TotalSeconds, "s",
            "Replication lag in time: commit-to-dispatch delay of the last transaction (WAL heartbeats keep it fresh)");
        _meter.CreateObservableGauge("sluice.slot.lag", () => Measure(slot.Latest?.LagBytes), "By",
            "Replication lag in bytes: WAL written since the slot's confirmed position (includes the retention window)");
        _meter.CreateObservableGauge("sluice.slot.retained_wal", () => Measure(slot.Latest?.RetainedWalBytes), "By",
            "WAL PostgreSQL keeps for the slot (from its restart position)");
        _meter.CreateObservableGauge("sluice.retention.changes", () => router.Retention.Changes, "{change}", "Changes kept for resuming");
        _meter.CreateObservableGauge("sluice.retention.size", () => router.Retention.Bytes, "By", "Estimated bytes of changes kept for resuming");
        _meter.CreateObservableCounter("sluice.rls.checks", () => rowChecks.Checks, "{check}",
            "Row-level security checks run in PostgreSQL (one per access group and table chunk: grows with distinct claim sets, not subscribers)");
        _meter.CreateObservableGauge("sluice.retention.limit", () => log.Limits.MaxChanges, "{change}", "Most changes kept for resuming");
    }

    private static IEnumerable<Measurement<long>> Measure(long? value) =>
        value is { } v ? [new Measurement<long>(v)] : [];

    /// <summary>The meter's name and scope, for tests.</summary>
    public Meter Meter => _meter;
}
