namespace Sluice.Server.Embedded;

/// <summary>Where and how <see cref="EmbeddedPostgres"/> runs its private PostgreSQL cluster.</summary>
internal sealed class EmbeddedPostgresOptions
{
    /// <summary>
    /// The cluster's data directory (PGDATA). Created when missing; a directory that already holds an
    /// initialized cluster (a <c>PG_VERSION</c> file) is reused.
    /// </summary>
    public required string DataDirectory { get; init; }

    /// <summary>The loopback port to listen on; 0 picks a free one on every start.</summary>
    public int Port { get; init; }

    /// <summary>
    /// False trades crash safety for speed (<c>fsync</c>, <c>synchronous_commit</c> and
    /// <c>full_page_writes</c> off): for tests and benchmarks of throwaway clusters.
    /// </summary>
    public bool Durable { get; init; } = true;

    /// <summary>The folder holding <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>; null discovers it.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>
    /// Server settings (<c>postgres -c name=value</c>) that replace or add to the launcher's own (port, loopback,
    /// <c>wal_level = logical</c>, …): for tests that need a server configured otherwise, e.g. <c>wal_level = replica</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> SettingOverrides { get; init; } = new Dictionary<string, string>();

    /// <summary>Removes <see cref="DataDirectory"/> after the server stopped on dispose.</summary>
    public bool DeleteDataOnDispose { get; init; }
}
