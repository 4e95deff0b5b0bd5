using System.ComponentModel.DataAnnotations;

namespace Sluice.Server.Hosting;

/// <summary>Server settings, bound from the <c>Sluice</c> configuration section (see the README's table).</summary>
public sealed class SluiceOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "Sluice";

    /// <summary>
    /// The database: a <c>postgresql://</c> URI, a libpq <c>host=… user=…</c> string or an Npgsql <c>Host=…;Username=…</c>
    /// string (see <see cref="Sluice.Server.Database.PostgresConnectionString"/>). Empty: start the embedded PostgreSQL.
    /// </summary>
    public string? Database { get; set; }

    /// <summary>Name of the persistent logical replication slot Sluice owns.</summary>
    [Required, RegularExpression("^[a-z0-9_]{1,63}$", ErrorMessage = "SlotName must be 1-63 characters of a-z, 0-9 and _ (PostgreSQL's rule for slot names).")]
    public string SlotName { get; set; } = "sluice";

    /// <summary>Name of the publication holding the realtime-enabled tables.</summary>
    [Required, RegularExpression("^[A-Za-z_][A-Za-z0-9_]{0,62}$", ErrorMessage = "PublicationName must be a plain identifier of at most 63 characters.")]
    public string PublicationName { get; set; } = "sluice";

    /// <summary>How often the server sends <c>{"type":"heartbeat"}</c> to every connection.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>WebSocket ping interval; a connection that does not answer within <see cref="KeepAliveTimeout"/> is dropped.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait for a pong before a connection counts as dead.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest client frame accepted; larger ones close the connection with 1009.</summary>
    [Range(256, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Largest record (record plus old_record, UTF-8 bytes of column names and values) a native change frame carries
    /// whole; a larger one is sent reduced: key columns, values of at most 64 bytes, <c>too_large</c>,
    /// <c>key_columns</c> and <c>omitted_columns</c> (see docs/protocol.md). Keep it well under <see cref="OutboundQueueBytes"/>.
    /// </summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxRecordBytes { get; set; } = Limits.RecordLimit.DefaultMaxRecordBytes;

    /// <summary>
    /// Most frames waiting to be sent to one connection before it counts as a slow consumer. Live changes fill at most three
    /// quarters of it: past that the connection falls behind (it is not closed) and, once its queue has drained, catches up
    /// from the retained log; changes replayed from the log do not count.
    /// </summary>
    [Range(16, 10_000_000)]
    public int OutboundQueueFrames { get; set; } = 10_000;

    /// <summary>Most bytes waiting to be sent to one connection before it counts as a slow consumer.</summary>
    [Range(64 * 1024, long.MaxValue)]
    public long OutboundQueueBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Longest a single send may stay pending before the connection counts as a slow consumer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most changes kept for resuming with <c>since</c>.</summary>
    [Range(1, 100_000_000)]
    public int RetentionChanges { get; set; } = 100_000;

    /// <summary>Most bytes (estimated, in memory) of changes kept for resuming.</summary>
    [Range(1024, long.MaxValue)]
    public long RetentionBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>Changes older than this (by commit time) leave the retention window.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan RetentionAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often a logical message is written so the slot advances even when published tables are quiet.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan WalHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Rows per <c>snapshot</c> frame (frames are also cut at about 256 kB).</summary>
    [Range(1, 100_000)]
    public int SnapshotRowsPerFrame { get; set; } = 500;

    /// <summary>
    /// Run socket continuations on Kestrel's I/O threads instead of the thread pool (Kestrel's
    /// <c>UnsafePreferInlineScheduling</c>): fewer thread hops per delivery, but one busy connection can delay
    /// the others sharing its I/O thread. Off by default; see docs/benchmarks.md for what it changes.
    /// </summary>
    public bool InlineScheduling { get; set; }

    /// <summary>
    /// Token the admin API, the dashboard's data, <c>/api/realtime/stats</c> and <c>/metrics</c> require
    /// (<c>Authorization: Bearer</c>). Empty: the admin API only answers loopback clients; stats and metrics are open.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>Data folder of the embedded PostgreSQL; empty: the per-user default.</summary>
    public string? EmbeddedDataDirectory { get; set; }

    /// <summary>Create and realtime-enable <c>public.products</c> when running the embedded PostgreSQL.</summary>
    public bool EmbeddedDemoTable { get; set; } = true;
}
