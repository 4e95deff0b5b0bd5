using System.Diagnostics.Metrics;

namespace Sluice.Server.Observability;

/// <summary>
/// The counters of one server, on the meter <see cref="MeterName"/> created from the host's <see cref="IMeterFactory"/>
/// (one per host: two servers in one process count apart, and the instruments go away with the host). Each is a plain
/// <see cref="Interlocked"/> total that the hot paths bump with one call; the meter reads the totals as observable
/// counters when a collector (the <c>/metrics</c> endpoint) asks, so nothing is aggregated per event.
/// Per-server figures (connections, lag, retention, row-level security checks) are in <see cref="ServerGauges"/>.
/// Registered by <see cref="ObservabilityExtensions.AddSluiceObservability"/>.
/// </summary>
internal sealed class SluiceMetrics
{
    /// <summary>The meter every Sluice server instrument is on; <c>/metrics</c> exports it (see <see cref="SluiceTelemetry.MeterName"/>).</summary>
    public const string MeterName = SluiceTelemetry.MeterName;

    private long _changesCaptured;
    private long _transactionsCaptured;
    private long _deliveries;
    private long _drops;
    private long _slowConsumerDisconnects;
    private long _fellBehind;
    private long _resyncs;
    private long _snapshots;
    private long _snapshotRows;
    private long _connectionsOpened;

    /// <summary>Delay from commit in PostgreSQL to dispatch by Sluice, per transaction.</summary>
    private readonly Histogram<double> _captureDelay;

    /// <summary>
    /// Delay from commit to the row-level security check of a dispatched transaction: the window in which a policy or
    /// membership change can still apply to rows committed before it (docs/security.md, "When a change is judged").
    /// </summary>
    private readonly Histogram<double> _rowSecurityCheckDelay;

    public SluiceMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _captureDelay = Meter.CreateHistogram<double>(
            "sluice.capture.delay", "s", "Time from a transaction's commit in PostgreSQL to its dispatch to subscribers",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _rowSecurityCheckDelay = Meter.CreateHistogram<double>(
            "sluice.rls.check.delay", "s", "Time from a transaction's commit in PostgreSQL to the row-level security check of its changes",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        // Observable: they live as long as the meter, which the factory disposes with the host.
        Meter.CreateObservableCounter(
            "sluice.changes.captured", () => Interlocked.Read(ref _changesCaptured), "{change}", "Row changes decoded from the replication stream and dispatched");
        Meter.CreateObservableCounter(
            "sluice.transactions.captured", () => Interlocked.Read(ref _transactionsCaptured), "{transaction}", "Committed transactions dispatched (including empty ones such as WAL heartbeats)");
        Meter.CreateObservableCounter(
            "sluice.deliveries", () => Interlocked.Read(ref _deliveries), "{frame}", "Change frames queued to subscribers");
        Meter.CreateObservableCounter(
            "sluice.drops", () => Interlocked.Read(ref _drops), "{frame}", "Frames refused because the connection's outbound queue was full (the connection is then closed with 4008)");
        Meter.CreateObservableCounter(
            "sluice.slow_consumer.disconnects", () => Interlocked.Read(ref _slowConsumerDisconnects), "{connection}", "Connections closed with 4008 because they did not keep up");
        Meter.CreateObservableCounter(
            "sluice.fell_behind", () => Interlocked.Read(ref _fellBehind), "{event}", "Times a connection's queue had no room for live changes, so it went on from the retained log once drained (instead of being closed)");
        Meter.CreateObservableCounter(
            "sluice.resyncs", () => Interlocked.Read(ref _resyncs), "{frame}", "resync_required frames sent (resume offset too old or from another log epoch)");
        Meter.CreateObservableCounter(
            "sluice.snapshots", () => Interlocked.Read(ref _snapshots), "{snapshot}", "Snapshots read for subscribers and the rows endpoint");
        Meter.CreateObservableCounter(
            "sluice.snapshot.rows", () => Interlocked.Read(ref _snapshotRows), "{row}", "Rows sent in snapshots");
        Meter.CreateObservableCounter(
            "sluice.connections.opened", () => Interlocked.Read(ref _connectionsOpened), "{connection}", "WebSocket connections accepted");
    }

    /// <summary>The meter the instruments are on (from the host's factory), for tests.</summary>
    public Meter Meter { get; }

    public long ChangesCaptured => Interlocked.Read(ref _changesCaptured);
    public long Deliveries => Interlocked.Read(ref _deliveries);
    public long Drops => Interlocked.Read(ref _drops);
    public long FellBehindEvents => Interlocked.Read(ref _fellBehind);
    public long Resyncs => Interlocked.Read(ref _resyncs);
    public long SnapshotRows => Interlocked.Read(ref _snapshotRows);
    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);

    /// <summary>A transaction (or a part of a large one) was dispatched.</summary>
    public void TransactionDispatched(int changes, bool committed, DateTime commitTimestampUtc, DateTime utcNow)
    {
        if (changes > 0)
            Interlocked.Add(ref _changesCaptured, changes);
        if (committed)
        {
            Interlocked.Increment(ref _transactionsCaptured);
            _captureDelay.Record(Math.Max(0, (utcNow - commitTimestampUtc).TotalSeconds));
        }
    }

    /// <summary>The changes of a transaction with row-level security were judged at <paramref name="utcNow"/>.</summary>
    public void RowSecurityChecked(DateTime commitTimestampUtc, DateTime utcNow) =>
        _rowSecurityCheckDelay.Record(Math.Max(0, (utcNow - commitTimestampUtc).TotalSeconds));

    /// <summary>A change frame was queued to a subscriber.</summary>
    public void Delivered() => Interlocked.Increment(ref _deliveries);

    /// <summary>A frame could not be queued because the connection's queue was full.</summary>
    public void Dropped() => Interlocked.Increment(ref _drops);

    /// <summary>A connection's queue had no room for a live change: it goes on from the retained log once drained.</summary>
    public void FellBehind() => Interlocked.Increment(ref _fellBehind);

    /// <summary>A connection is closed as a slow consumer (4008).</summary>
    public void SlowConsumerDisconnected() => Interlocked.Increment(ref _slowConsumerDisconnects);

    /// <summary>A <c>resync_required</c> frame was produced.</summary>
    public void ResyncRequired() => Interlocked.Increment(ref _resyncs);

    /// <summary>A snapshot of <paramref name="rows"/> rows was read.</summary>
    public void SnapshotRead(long rows)
    {
        Interlocked.Increment(ref _snapshots);
        Interlocked.Add(ref _snapshotRows, rows);
    }

    /// <summary>A WebSocket connection was accepted.</summary>
    public void ConnectionOpened() => Interlocked.Increment(ref _connectionsOpened);
}
