using Sluice.Server.Log;

namespace Sluice.Server.Cluster;

/// <summary>Where this node's log starts reading the change stream: the log's start LSN and epoch at start-up.</summary>
internal sealed record ChangeStreamStart(ulong Lsn, LogEpoch Epoch);
