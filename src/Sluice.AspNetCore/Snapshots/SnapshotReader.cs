using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Sluice.Server.Capture;
using Sluice.Server.Connections;
using Sluice.Server.Filters;
using Sluice.Server.Hosting;
using Sluice.Server.Limits;
using Sluice.Server.RowSecurity;

namespace Sluice.Server.Snapshots;

/// <summary>
/// Reads a table's current rows in a <c>REPEATABLE READ READ ONLY</c> transaction and streams them as
/// <c>snapshot</c> frames, holding back the last chunk until the router knows the snapshot's offset. The
/// snapshot's xid visibility later decides which logged transactions it already contains.
/// </summary>
/// <remarks>
/// Memory: one chunk at a time (about 256 KB, or one row when a row is larger) plus the row being read. For a subscriber,
/// rows over the maximum record size are written reduced (key columns and small values), so a chunk stays small whatever
/// the table holds; <c>GET /rows</c> asks for whole rows, and then a chunk may hold one huge row (its buffer is let go after).
/// </remarks>
internal sealed class SnapshotReader(NpgsqlDataSource dataSource, IOptions<SluiceOptions> options, Observability.SluiceMetrics metrics)
{
    private const int MaxFrameBytes = 256 * 1024;
    private const int InitialChunkBytes = 64 * 1024;
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Reads the rows for a subscriber on <paramref name="connection"/>, rows over the maximum record size reduced: every
    /// chunk but the last is queued as the frame <paramref name="chunkFrame"/> makes of it (the protocol's), waiting while
    /// the connection's queue is over half full; the last chunk is returned in the result.
    /// </summary>
    public Task<SnapshotResult> ReadAsync(TableSchema table, RowFilter? filter, Auth.ConnectionIdentity? readAs, ClientConnection connection,
        Func<SnapshotChunk, byte[]> chunkFrame, CancellationToken cancellationToken)
    {
        var queueHighWater = options.Value.OutboundQueueBytes / 2;
        return ReadAsync(table, filter, readAs, options.Value.MaxRecordBytes,
            (chunk, token) => SendAsync(connection, chunkFrame(chunk), queueHighWater, token),
            cancellationToken);
    }

    /// <summary>
    /// Reads the rows and hands every chunk but the last (each a JSON array of rows) to <paramref name="sendChunk"/>
    /// as it fills; the last chunk is returned in the result. With <paramref name="readAs"/>, the rows are read as that
    /// identity's role with its JWT claims, so PostgreSQL applies its privileges and row-level security policies; without,
    /// as Sluice's own user, and only from the relation <paramref name="table"/> was looked up as, while it has no
    /// row-level security (else <see cref="AccessCheckUnavailableException"/>, nothing read).
    /// With <paramref name="maxRecordBytes"/>, a row over it is written reduced (see <see cref="RecordLimit"/>) and listed
    /// in its chunk's <see cref="SnapshotChunk.ReducedRows"/>; without, every row is written whole.
    /// </summary>
    public async Task<SnapshotResult> ReadAsync(TableSchema table, RowFilter? filter, Auth.ConnectionIdentity? readAs, int? maxRecordBytes,
        Func<SnapshotChunk, CancellationToken, Task> sendChunk, CancellationToken cancellationToken)
    {
        using var activity = Observability.SluiceTelemetry.Source.StartActivity(Observability.SluiceTelemetry.SnapshotReadSpan);
        if (activity is not null)
        {
            activity.SetTag(Observability.SluiceTelemetry.TableTag, table.Schema + "." + table.Name);
            activity.SetTag(Observability.SluiceTelemetry.FilteredTag, filter is not null);
        }
        try
        {
            var result = await ReadRowsAsync(table, filter, readAs, maxRecordBytes, sendChunk, cancellationToken);
            activity?.SetTag(Observability.SluiceTelemetry.RowsTag, result.RowCount);
            return result;
        }
        catch (Exception ex) when (Observability.SluiceTelemetry.Failed(activity, ex))
        {
            throw;
        }
        catch (PostgresException ex) when (readAs is not null && !AccessCheckUnavailableException.IsTransient(ex.SqlState))
        {
            // Read as the subscriber's role, PostgreSQL applied its policies: an error here is the policy's (or the role's).
            throw new AccessCheckFailedException(
                $"the row-level security check failed while reading {table.Schema}.{table.Name} as role \"{readAs.Role}\" ({ex.SqlState}); nothing was sent (see the server log)",
                ex.SqlState, ex.MessageText, ex);
        }
    }

    private async Task<SnapshotResult> ReadRowsAsync(TableSchema table, RowFilter? filter, Auth.ConnectionIdentity? readAs, int? maxRecordBytes,
        Func<SnapshotChunk, CancellationToken, Task> sendChunk, CancellationToken cancellationToken)
    {
        var rowsPerFrame = options.Value.SnapshotRowsPerFrame;

        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        var startLsn = await SnapshotVisibility.ReadInsertLsnAsync(db, cancellationToken);

        await using var transaction = await db.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", db, transaction))
            await readOnly.ExecuteNonQueryAsync(cancellationToken);
        // From here on the statements may run under the subscriber role's search_path: every name is qualified.
        if (readAs is not null)
            await SubscriberAccess.AssumeAsync(db, transaction, readAs, cancellationToken);
        else
            await LockUnprotectedAsync(db, transaction, table, cancellationToken);

        var visibility = await SnapshotVisibility.TakeAsync(db, transaction, startLsn, cancellationToken);

        var chunk = new ArrayBufferWriter<byte>(InitialChunkBytes);
        var writer = new Utf8JsonWriter(chunk, WriterOptions);
        writer.WriteStartArray();
        var rowsInChunk = 0;
        var reduced = new List<ReducedRow>();
        long rowCount = 0;
        SnapshotChunk? held = null;

        await using (var select = new NpgsqlCommand(SelectSql(table), db, transaction) { AllResultTypesAreUnknown = true })
        await using (var rows = await select.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken))
        {
            var values = new string?[table.Columns.Length];
            while (await rows.ReadAsync(cancellationToken))
            {
                for (var i = 0; i < values.Length; i++)
                    values[i] = await rows.IsDBNullAsync(i, cancellationToken) ? null : rows.GetString(i);
                if (filter is not null && !filter.Matches(values))
                    continue;
                var tooLarge = maxRecordBytes is { } max && RecordLimit.IsTooLarge(table, values, max);
                if (tooLarge)
                    reduced.Add(new ReducedRow(rowsInChunk, RecordLimit.OmittedColumns(table, values)));
                RowJson.Write(writer, table, values, reduced: tooLarge);
                rowsInChunk++;
                rowCount++;
                if (rowsInChunk >= rowsPerFrame || writer.BytesPending + chunk.WrittenCount >= MaxFrameBytes)
                {
                    if (held is not null)
                        await sendChunk(held, cancellationToken);
                    held = CloseChunk(ref writer, ref chunk, reduced);
                    rowsInChunk = 0;
                }
            }
        }
        await transaction.CommitAsync(cancellationToken);

        if (rowsInChunk > 0 || held is null)
        {
            if (held is not null)
                await sendChunk(held, cancellationToken);
            held = CloseChunk(ref writer, ref chunk, reduced);
        }
        await writer.DisposeAsync();
        metrics.SnapshotRead(rowCount);
        return new SnapshotResult(visibility, held, rowCount);
    }

    /// <summary>
    /// Before rows are read as Sluice's own user (no role, no policy applied for the subscriber): the access decision found
    /// relation <see cref="TableSchema.RelationId"/> without row-level security, but the rows are read by name, and the name
    /// may lead elsewhere by now (the table dropped and recreated with row-level security) or the table may have gained
    /// row-level security since. So the table is locked first — before the transaction takes its snapshot (the next
    /// statement), so the snapshot sees the catalog as of the lock — and must then still be that relation, without
    /// row-level security; DROP, RENAME and ENABLE/FORCE ROW LEVEL SECURITY take an ACCESS EXCLUSIVE lock and wait for this
    /// one, so it stays that way until the read ends. (ONLY: the policies that apply to rows read through a table, its
    /// partitions' or children's included, are its own.) Otherwise nothing is read:
    /// <see cref="AccessCheckUnavailableException"/> (try again, and the decision is taken anew).
    /// </summary>
    private static async Task LockUnprotectedAsync(NpgsqlConnection db, NpgsqlTransaction transaction, TableSchema table, CancellationToken cancellationToken)
    {
        try
        {
            await using var lockTable = new NpgsqlCommand($"LOCK TABLE ONLY {QualifiedName(table)} IN ACCESS SHARE MODE", db, transaction);
            await lockTable.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            throw Changed(table);
        }
        await using var check = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE c.oid = $1 AND n.nspname = $2 AND c.relname = $3 AND NOT c.relrowsecurity)
            """, db, transaction);
        check.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = table.RelationId, NpgsqlDbType = NpgsqlDbType.Oid });
        check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.Schema });
        check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.Name });
        if (!(bool)(await check.ExecuteScalarAsync(cancellationToken))!)
            throw Changed(table);
    }

    private static AccessCheckUnavailableException Changed(TableSchema table) => new(
        $"table {table.Schema}.{table.Name} was dropped, replaced or given row-level security after access to it was decided; nothing was read");

    /// <summary>The chunk written so far; the writer starts the next one (in a fresh buffer when a huge row grew this one).</summary>
    private static SnapshotChunk CloseChunk(ref Utf8JsonWriter writer, ref ArrayBufferWriter<byte> chunk, List<ReducedRow> reduced)
    {
        writer.WriteEndArray();
        writer.Flush();
        var closed = new SnapshotChunk(chunk.WrittenSpan.ToArray(), reduced.Count == 0 ? [] : [.. reduced]);
        reduced.Clear();
        if (chunk.Capacity > 4 * MaxFrameBytes)
            chunk = new ArrayBufferWriter<byte>(InitialChunkBytes);
        else
            chunk.ResetWrittenCount();
        writer.Reset(chunk);
        writer.WriteStartArray();
        return closed;
    }

    private static async Task SendAsync(ClientConnection connection, byte[] frame, long queueHighWater, CancellationToken cancellationToken)
    {
        await connection.WaitForQueueBelowAsync(queueHighWater, cancellationToken);
        connection.TryEnqueue(frame);
    }

    private static string SelectSql(TableSchema table)
    {
        var sql = new StringBuilder("SELECT ");
        for (var i = 0; i < table.Columns.Length; i++)
        {
            if (i > 0)
                sql.Append(", ");
            sql.Append(QuoteIdentifier(table.Columns[i].Name));
        }
        if (table.Columns.Length == 0)
            sql.Append("NULL");
        return sql.Append(" FROM ").Append(QualifiedName(table)).ToString();
    }

    private static string QualifiedName(TableSchema table) => QuoteIdentifier(table.Schema) + "." + QuoteIdentifier(table.Name);

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
