using Npgsql;
using NpgsqlTypes;
using Sluice.Server.Routing;

namespace Sluice.Server.Snapshots;

/// <summary>
/// Reads the newest stored database broadcasts of a topic (rows of <c>realtime.messages</c>, see
/// <see cref="DatabaseBroadcastRows"/>) in a <c>REPEATABLE READ READ ONLY</c> transaction, with what that snapshot saw, so a
/// subscription can go on from exactly there (<see cref="TableSubscriptions.CompleteFromSnapshot"/>): every message is then
/// either among the rows read or delivered from the change log, never both and never neither. This is the read behind
/// Supabase's broadcast replay.
/// </summary>
/// <remarks>
/// Read as Sluice's own user, as Supabase reads them (its privileged connection): whoever asks was admitted to the topic
/// before. Where that user is subject to the table's row-level security, the policies hide rows from the read (fewer
/// messages, never others). One statement, 5 s at most (Supabase's timeout); the rows are few (at most
/// <c>limit</c>, which the caller bounds).
/// </remarks>
internal sealed class StoredBroadcastReader(NpgsqlDataSource dataSource)
{
    /// <summary>How long the read may take (Supabase's replay timeout).</summary>
    private const int TimeoutSeconds = 5;

    // The newest first, limited; inserted_at is a timestamp without time zone written by now() in the writer's session,
    // so the bound is compared in this session's zone (the database's default, UTC on Supabase). The upper bound keeps the
    // scan out of future partitions, as Supabase's does. Rows of one transaction share inserted_at: ctid orders them as
    // written (the table is append-only; its rows leave with their partition).
    private static readonly string Sql = $"""
        SELECT m.{DatabaseBroadcastRows.IdColumn}::pg_catalog.text, m.{DatabaseBroadcastRows.EventColumn}, m.{DatabaseBroadcastRows.PayloadColumn}::pg_catalog.text
        FROM {DatabaseBroadcastRows.Schema}.{DatabaseBroadcastRows.Table} m
        WHERE m.topic = $1 AND m.private = $2 AND m.extension = 'broadcast'
          AND m.{DatabaseBroadcastRows.EventColumn} IS NOT NULL AND m.{DatabaseBroadcastRows.PayloadColumn} IS NOT NULL
          AND pg_catalog.octet_length(CAST(m.{DatabaseBroadcastRows.PayloadColumn} AS pg_catalog.text)) <= $5
          AND m.inserted_at >= CAST($3 AS pg_catalog.timestamp) AND m.inserted_at < LOCALTIMESTAMP + interval '1 minute'
        ORDER BY m.inserted_at DESC, m.ctid DESC
        LIMIT $4
        """;

    /// <summary>
    /// The newest <paramref name="limit"/> messages of <paramref name="topic"/> of one privacy inserted at or after
    /// <paramref name="sinceUtc"/>, oldest first, with their event and a JSON payload (rows with a binary payload only are
    /// not read, as they are not delivered, nor payloads over <paramref name="maxPayloadBytes"/>, see
    /// <see cref="Subscription.MaxPayloadBytes"/>), and the visibility of the snapshot they were read in.
    /// </summary>
    public async Task<StoredBroadcasts> ReadNewestAsync(string topic, bool privateMessages, DateTime sinceUtc, int limit, int maxPayloadBytes,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        var startLsn = await SnapshotVisibility.ReadInsertLsnAsync(db, cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", db, transaction))
            await readOnly.ExecuteNonQueryAsync(cancellationToken);
        var visibility = await SnapshotVisibility.TakeAsync(db, transaction, startLsn, cancellationToken);

        var newestFirst = new List<StoredBroadcast>(limit);
        await using (var select = new NpgsqlCommand(Sql, db, transaction) { CommandTimeout = TimeoutSeconds })
        {
            select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = topic, NpgsqlDbType = NpgsqlDbType.Text });
            select.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = privateMessages });
            select.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = DateTime.SpecifyKind(sinceUtc, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxPayloadBytes });
            await using var rows = await select.ExecuteReaderAsync(cancellationToken);
            while (await rows.ReadAsync(cancellationToken))
                newestFirst.Add(new StoredBroadcast(rows.GetString(0), rows.GetString(1), rows.GetString(2)));
        }
        await transaction.CommitAsync(cancellationToken);
        newestFirst.Reverse();
        return new StoredBroadcasts(newestFirst, visibility);
    }
}

/// <summary>Stored database broadcasts, oldest first, and the snapshot they were read in.</summary>
internal sealed record StoredBroadcasts(IReadOnlyList<StoredBroadcast> Messages, SnapshotVisibility Visibility);

/// <summary>One stored database broadcast: the row's id, its event and its JSON payload as PostgreSQL prints it.</summary>
internal sealed record StoredBroadcast(string Id, string Event, string Payload);
