using System.ComponentModel.DataAnnotations;

namespace Sluice.Server.Cluster;

/// <summary>
/// Cluster settings, bound from <c>Sluice:Cluster</c>. Without <see cref="Redis"/> the server runs as a single node
/// (the default); with it, several nodes share one database through Redis (see docs/scaling.md).
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "Sluice:Cluster";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>localhost:6379</c>. Empty: single-node mode.</summary>
    public string? Redis { get; set; }

    /// <summary>This node's name in stats and presence; empty: host name, process id and a random suffix.</summary>
    [RegularExpression("^[A-Za-z0-9_.:-]{0,100}$", ErrorMessage = "NodeId may only contain letters, digits, '_', '.', ':' and '-'.")]
    public string? NodeId { get; set; }

    /// <summary>
    /// How often a node that is not the leader tries to take the capture lease, and how often the leader checks that
    /// it still holds it. A dead leader is replaced within about this interval plus the replication start.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan LeaderPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A leader that cannot append to the change stream this long gives capture up to a node that can reach Redis.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan LeaderStepDownAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a node refreshes its liveness key in Redis.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan NodeHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A node whose liveness key is this old counts as dead: its presence entries disappear.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Prefix of every Redis key and channel Sluice uses; nodes of one cluster share it (and the slot name).</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.:-]{1,64}$")]
    public string KeyPrefix { get; set; } = "sluice";

    /// <summary>Whether this server is a cluster node: <see cref="Redis"/> is set.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Redis);
}
