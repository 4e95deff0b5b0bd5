using System.Diagnostics.Metrics;
using Sluice.Server.Observability;

namespace Sluice.Server.Cluster;

/// <summary>Cluster gauges on the server's meter: leadership, Redis reachability, change stream lag and appends.</summary>
internal sealed class ClusterGauges
{
    public ClusterGauges(IMeterFactory meterFactory, ClusterRedis redis, ChangeStreamFeed feed, ChangeStreamPublisher publisher, AdvisoryLockLease lease)
    {
        Meter = meterFactory.Create(SluiceMetrics.MeterName);
        Meter.CreateObservableGauge("sluice.cluster.leader", () => lease.IsLeader ? 1 : 0, null, "1 on the node that captures from the slot, 0 on the others");
        Meter.CreateObservableGauge("sluice.cluster.redis.connected", () => redis.IsConnected ? 1 : 0, null, "1 while Redis is reachable");
        Meter.CreateObservableGauge("sluice.cluster.stream.lag", () => feed.LagBytes, "By",
            "Change stream lag: WAL bytes between the newest entry the leader announced and the last one this node read");
        Meter.CreateObservableCounter("sluice.cluster.stream.read", () => feed.EntriesRead, "{entry}", "Change stream entries this node read");
        Meter.CreateObservableCounter("sluice.cluster.stream.appended", () => publisher.Appended, "{entry}", "Change stream entries this node appended as leader");
        Meter.CreateObservableCounter("sluice.cluster.stream.skipped", () => publisher.Skipped, "{entry}",
            "Captured batches the stream already had (replayed after a takeover), not appended again");
        Meter.CreateObservableCounter("sluice.cluster.log.restarts", () => feed.Restarts, "{restart}",
            "Times this node's log restarted because the stream had lost entries it had not read (its subscribers resynced)");
    }

    public Meter Meter { get; }
}
