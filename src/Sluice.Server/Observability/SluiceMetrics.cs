using System.Diagnostics.Metrics;

namespace Sluice.Server.Observability;

/// <summary>
/// Process-wide counters of the server, on the meter <see cref="MeterName"/>. Each is a plain
/// <see cref="Interlocked"/> total that the hot paths bump with one call; the meter reads the totals as
/// observable counters when a collector (the <c>/metrics</c> endpoint) asks, so nothing is aggregated per event.
/// Per-server figures (connections, lag, retention, row-level security checks) are in <see cref="ServerGauges"/>.
/// </summary>
public static class SluiceMetrics
{
    /// <summary>The meter every Sluice server instrument is on; <c>/metrics</c> exports it.</summary>
    public const string MeterName = "Sluice.Server";

    private static long s_changesCaptured;
    private static long s_transactionsCaptured;
    private static long s_deliveries;
    private static long s_drops;
    private static long s_slowConsumerDisconnects;
    private static long s_resyncs;
    private static long s_snapshots;
    private static long s_snapshotRows;
    private static long s_connectionsOpened;

    private static readonly Meter s_meter = new(MeterName);

    /// <summary>Delay from commit in PostgreSQL to dispatch by Sluice, per transaction.</summary>
    private static readonly Histogram<double> s_captureDelay = s_meter.CreateHistogram<double>(
        "sluice.capture.delay", "s", "Time from a transaction's commit in PostgreSQL to its dispatch to subscribers",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    /// <summary>
    /// Delay from commit to the row-level security check of a dispatched transaction: the window in which a policy or
    /// membership change can still apply to rows committed before it (docs/security.md, "When a change is judged").
    /// </summary>
    private static readonly Histogram<double> s_rowSecurityCheckDelay = s_meter.CreateHistogram<double>(
        "sluice.rls.check.delay", "s", "Time from a transaction's commit in PostgreSQL to the row-level security check of its changes",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

#pragma warning disable CA1823 // instruments live as long as the meter; kept in fields so they are created once
    private static readonly ObservableCounter<long> s_changesCapturedCounter = s_meter.CreateObservableCounter(
        "sluice.changes.captured", static () => Interlocked.Read(ref s_changesCaptured), "{change}", "Row changes decoded from the replication stream and dispatched");
    private static readonly ObservableCounter<long> s_transactionsCounter = s_meter.CreateObservableCounter(
        "sluice.transactions.captured", static () => Interlocked.Read(ref s_transactionsCaptured), "{transaction}", "Committed transactions dispatched (including empty ones such as WAL heartbeats)");
    private static readonly ObservableCounter<long> s_deliveriesCounter = s_meter.CreateObservableCounter(
        "sluice.deliveries", static () => Interlocked.Read(ref s_deliveries), "{frame}", "Change frames queued to subscribers");
    private static readonly ObservableCounter<long> s_dropsCounter = s_meter.CreateObservableCounter(
        "sluice.drops", static () => Interlocked.Read(ref s_drops), "{frame}", "Frames refused because the connection's outbound queue was full (the connection is then closed with 4008)");
    private static readonly ObservableCounter<long> s_slowConsumerCounter = s_meter.CreateObservableCounter(
        "sluice.slow_consumer.disconnects", static () => Interlocked.Read(ref s_slowConsumerDisconnects), "{connection}", "Connections closed with 4008 because they did not keep up");
    private static readonly ObservableCounter<long> s_resyncsCounter = s_meter.CreateObservableCounter(
        "sluice.resyncs", static () => Interlocked.Read(ref s_resyncs), "{frame}", "resync_required frames sent (resume offset too old or from another log epoch)");
    private static readonly ObservableCounter<long> s_snapshotsCounter = s_meter.CreateObservableCounter(
        "sluice.snapshots", static () => Interlocked.Read(ref s_snapshots), "{snapshot}", "Snapshots read for subscribers and the rows endpoint");
    private static readonly ObservableCounter<long> s_snapshotRowsCounter = s_meter.CreateObservableCounter(
        "sluice.snapshot.rows", static () => Interlocked.Read(ref s_snapshotRows), "{row}", "Rows sent in snapshots");
    private static readonly ObservableCounter<long> s_connectionsOpenedCounter = s_meter.CreateObservableCounter(
        "sluice.connections.opened", static () => Interlocked.Read(ref s_connectionsOpened), "{connection}", "WebSocket connections accepted");
#pragma warning restore CA1823

    public static long ChangesCaptured => Interlocked.Read(ref s_changesCaptured);
    public static long Deliveries => Interlocked.Read(ref s_deliveries);
    public static long Drops => Interlocked.Read(ref s_drops);
    public static long Resyncs => Interlocked.Read(ref s_resyncs);
    public static long SnapshotRows => Interlocked.Read(ref s_snapshotRows);

    /// <summary>A transaction (or a part of a large one) was dispatched.</summary>
    public static void TransactionDispatched(int changes, bool committed, DateTime commitTimestampUtc, DateTime utcNow)
    {
        if (changes > 0)
            Interlocked.Add(ref s_changesCaptured, changes);
        if (committed)
        {
            Interlocked.Increment(ref s_transactionsCaptured);
            s_captureDelay.Record(Math.Max(0, (utcNow - commitTimestampUtc).TotalSeconds));
        }
    }

    /// <summary>The changes of a transaction with row-level security were judged at <paramref name="utcNow"/>.</summary>
    public static void RowSecurityChecked(DateTime commitTimestampUtc, DateTime utcNow) =>
        s_rowSecurityCheckDelay.Record(Math.Max(0, (utcNow - commitTimestampUtc).TotalSeconds));

    /// <summary>A change frame was queued to a subscriber.</summary>
    public static void Delivered() => Interlocked.Increment(ref s_deliveries);

    /// <summary>A frame could not be queued because the connection's queue was full.</summary>
    public static void Dropped() => Interlocked.Increment(ref s_drops);

    /// <summary>A connection is closed as a slow consumer (4008).</summary>
    public static void SlowConsumerDisconnected() => Interlocked.Increment(ref s_slowConsumerDisconnects);

    /// <summary>A <c>resync_required</c> frame was produced.</summary>
    public static void ResyncRequired() => Interlocked.Increment(ref s_resyncs);

    /// <summary>A snapshot of <paramref name="rows"/> rows was read.</summary>
    public static void SnapshotRead(long rows)
    {
        Interlocked.Increment(ref s_snapshots);
        Interlocked.Add(ref s_snapshotRows, rows);
    }

    /// <summary>A WebSocket connection was accepted.</summary>
    public static void ConnectionOpened() => Interlocked.Increment(ref s_connectionsOpened);
}
