using System.Diagnostics;
using Npgsql;
using Sluice.Server.Capture;
using Sluice.Server.Filters;
using Sluice.Server.Snapshots;

namespace Sluice.Server.Routing;

/// <summary>
/// Receiving database broadcasts (<see cref="DatabaseBroadcastRows"/>) on a topic, the same for every protocol: whether this
/// database delivers them at all (<see cref="ResolveAsync"/>), and the subscription that carries them
/// (<see cref="Subscription.ForDatabaseBroadcasts"/>), then started, resumed after an offset and released like a table
/// subscription, through <see cref="TableSubscriptions"/> (so offsets, catch-up, retention and slow consumers work as for
/// tables). A channel joined publicly receives the topic's public messages without further check: its join was admitted. Who
/// may receive a topic's private messages is decided when the channel joins, by <see cref="Rooms.PrivateTopicAuthorization"/>
/// (may it read the topic's broadcasts).
/// </summary>
/// <remarks>
/// Fails closed and never fails a join: when <c>realtime.messages</c> is absent, not in Sluice's publication, not published
/// under its own name, or of a shape the filter does not fit, channels simply receive no database broadcasts, and the
/// reason is logged once (again after it was fixed and broke again). What the catalog said is kept for
/// <see cref="Freshness"/>; a database that cannot be asked meanwhile leaves the last answer in place.
/// </remarks>
internal sealed partial class DatabaseBroadcasts(SubscriptionServices services, StoredBroadcastReader stored, ILogger<DatabaseBroadcasts> logger)
{
    /// <summary>How long what the catalog said about <c>realtime.messages</c> is used before it is read again.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(30);

    private Availability? _known;
    private int _reportedUnavailable;

    /// <summary>
    /// <c>realtime.messages</c> as the catalog describes it, once the change log is current after a restart (a subscription
    /// that went live before would receive what the server re-reads from the slot as new, see <see cref="StartupCatchUp"/>);
    /// null when this database delivers no database broadcasts (logged once).
    /// </summary>
    public async Task<TableSchema?> ResolveAsync(CancellationToken cancellationToken)
    {
        var known = Volatile.Read(ref _known);
        if (known is null || Stopwatch.GetElapsedTime(known.ReadAt) > Freshness)
            known = await RefreshAsync(known, cancellationToken);
        if (known.Table is null)
        {
            if (Interlocked.Exchange(ref _reportedUnavailable, 1) == 0)
                LogUnavailable(known.Reason!);
            return null;
        }
        Volatile.Write(ref _reportedUnavailable, 0);
        await services.StartupCatchUp.WaitAsync(cancellationToken);
        return known.Table;
    }

    /// <summary>
    /// The newest <paramref name="limit"/> stored messages of <paramref name="topic"/> of one privacy inserted at or after
    /// <paramref name="sinceUtc"/>, oldest first, and the snapshot they were read in (a replay: the channel's subscription
    /// then goes on from exactly there, see <see cref="TableSubscriptions.CompleteFromSnapshot"/>). Call once
    /// <see cref="ResolveAsync"/> found the table.
    /// </summary>
    public Task<StoredBroadcasts> ReadNewestAsync(string topic, bool privateMessages, DateTime sinceUtc, int limit, int maxPayloadBytes,
        CancellationToken cancellationToken) =>
        stored.ReadNewestAsync(topic, privateMessages, sinceUtc, limit, maxPayloadBytes, cancellationToken);

    /// <summary>Reads the catalog again; when it cannot be read, keeps <paramref name="previous"/> (none yet: the error goes to the caller).</summary>
    private async Task<Availability> RefreshAsync(Availability? previous, CancellationToken cancellationToken)
    {
        try
        {
            var read = await ReadAsync(cancellationToken);
            Volatile.Write(ref _known, read);
            return read;
        }
        catch (NpgsqlException ex)
        {
            if (previous is null)
                throw;
            LogReadFailed(ex);
            return previous;
        }
    }

    private async Task<Availability> ReadAsync(CancellationToken cancellationToken)
    {
        var catalog = services.Catalog;
        var lookup = await catalog.LookUpAsync(DatabaseBroadcastRows.Schema, DatabaseBroadcastRows.Table, cancellationToken);
        if (lookup.Table is not { } table)
            return Availability.Unavailable("realtime.messages does not exist (Sluice creates it at start-up where it may; see the log of the start)");
        if (!lookup.RealtimeEnabled)
            return Availability.Unavailable(
                $"realtime.messages is not in the publication {catalog.PublicationName}; run ALTER PUBLICATION \"{catalog.PublicationName}\" ADD TABLE realtime.messages as its owner");
        if (!await catalog.PublishesViaRootAsync(cancellationToken))
            return Availability.Unavailable(
                $"the publication {catalog.PublicationName} publishes the rows of realtime.messages under its partitions' names; run ALTER PUBLICATION \"{catalog.PublicationName}\" SET (publish_via_partition_root = true)");
        if (!RowFilter.TryParse(DatabaseBroadcastRows.FilterFor("topic", privateMessages: true), table, out _, out var error))
            return Availability.Unavailable($"realtime.messages does not have the shape of Supabase's ({error})");
        return new Availability(table, null, Stopwatch.GetTimestamp());
    }

    /// <summary>What the catalog said: the table, or why there are no database broadcasts.</summary>
    private sealed record Availability(TableSchema? Table, string? Reason, long ReadAt)
    {
        public static Availability Unavailable(string reason) => new(null, reason, Stopwatch.GetTimestamp());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database broadcasts (realtime.send, realtime.broadcast_changes) are not delivered to channels: {Reason}")]
    private partial void LogUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the catalog entry of realtime.messages; using what was read before")]
    private partial void LogReadFailed(Exception exception);
}
