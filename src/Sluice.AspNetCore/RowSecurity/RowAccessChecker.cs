using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sluice.Server.Capture;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Asks PostgreSQL which changes each access group may see: per group one <c>set_config</c> of the role and the JWT
/// claims, then <c>sluice.visible_rows</c> over the captured rows of each table, all in one round trip inside a
/// transaction that is rolled back. This is where a verdict is decided, and it fails closed: a table that is gone gets
/// <see cref="AccessVerdict.TableGone"/>, a row lacking a value its policies read <see cref="AccessVerdict.ValuesMissing"/>,
/// a policy that raises (or a role that cannot be assumed) <see cref="AccessVerdict.Failed"/> — for that group and table
/// only — and a database that cannot serve the check throws, so delivery waits. Nothing unknown is ever delivered.
/// </summary>
internal sealed partial class RowAccessChecker(NpgsqlDataSource dataSource, ILogger<RowAccessChecker> logger)
{
    private const int MaxRowsPerStatement = 2000;
    private const int MaxStatementsPerBatch = 64;
    private const int MaxParallelBatches = 4;
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private long _checks;

    /// <summary>How many (group, table chunk) checks the database has run: grows with distinct claim sets, not subscribers.</summary>
    public long Checks => Interlocked.Read(ref _checks);

    /// <summary>
    /// Adds (or replaces) a verdict for every change of every check, for each of the check's groups. Throws
    /// <see cref="NpgsqlException"/> when the database cannot be reached and <see cref="AccessCheckUnavailableException"/>
    /// when it cannot serve the check right now; then no verdict is trusted and the caller retries.
    /// </summary>
    public async Task CheckAsync(IReadOnlyList<TableCheck> checks, CancellationToken cancellationToken)
    {
        var chunks = new List<Chunk>();
        foreach (var check in checks)
        {
            if (check.Groups.Count == 0 || check.Changes.Count == 0)
                continue;
            for (var start = 0; start < check.Changes.Count;)
            {
                var chunk = Chunk.Build(check, ref start);
                chunks.Add(chunk);
            }
        }
        if (chunks.Count == 0)
            return;

        // Every group with the chunks it needs, in batches of bounded size.
        var work = new Dictionary<AccessGroup, List<Chunk>>(ReferenceEqualityComparer.Instance);
        foreach (var chunk in chunks)
        {
            foreach (var group in chunk.Groups)
            {
                if (!work.TryGetValue(group, out var list))
                    work[group] = list = [];
                list.Add(chunk);
            }
        }

        // The groups are spread over up to MaxParallelBatches connections, each batch one round trip of bounded size:
        // the checks of one round take the time of the largest batch, not of all groups one after another (the
        // commit-to-check window, docs/security.md). Statement limits keep every batch's transaction small.
        var parallel = Math.Min(MaxParallelBatches, work.Count);
        var perBatch = Math.Max(1, (int)Math.Ceiling(work.Count / (double)parallel));
        var batches = new List<List<(AccessGroup Group, List<Chunk> Chunks)>>();
        var batch = new List<(AccessGroup Group, List<Chunk> Chunks)>();
        var statements = 0;
        foreach (var (group, groupChunks) in work)
        {
            if (batch.Count > 0 && (batch.Count >= perBatch || statements + groupChunks.Count + 1 > MaxStatementsPerBatch))
            {
                batches.Add(batch);
                batch = [];
                statements = 0;
            }
            batch.Add((group, groupChunks));
            statements += groupChunks.Count + 1;
        }
        if (batch.Count > 0)
            batches.Add(batch);
        for (var wave = 0; wave < batches.Count; wave += MaxParallelBatches)
        {
            var running = new List<Task<VerdictList>>(MaxParallelBatches);
            for (var i = wave; i < batches.Count && i < wave + MaxParallelBatches; i++)
                running.Add(RunAsync(batches[i], cancellationToken));
            // Published only once the whole wave answered: a wave that throws adds nothing (the caller retries the round).
            VerdictList.Publish(await Task.WhenAll(running));
        }
    }

    private async Task<VerdictList> RunAsync(List<(AccessGroup Group, List<Chunk> Chunks)> groups, CancellationToken cancellationToken)
    {
        var verdicts = new VerdictList();
        try
        {
            var results = await QueryAsync(groups, cancellationToken);
            for (var i = 0; i < groups.Count; i++)
                Apply(verdicts, groups[i].Group, groups[i].Chunks, results[i]);
            return verdicts;
        }
        catch (PostgresException ex) when (AccessCheckUnavailableException.IsTransient(ex.SqlState))
        {
            throw new AccessCheckUnavailableException(ex.SqlState, ex.MessageText);
        }
        catch (PostgresException) when (groups.Count > 1)
        {
            // One group's identity broke the shared transaction (its role cannot be assumed): judge each group alone.
        }
        catch (PostgresException ex)
        {
            Fail(verdicts, groups[0].Group, groups[0].Chunks, ex.SqlState, ex.MessageText);
            return verdicts;
        }

        foreach (var single in groups)
        {
            List<Chunk> chunks = single.Chunks;
            try
            {
                var results = await QueryAsync([single], cancellationToken);
                Apply(verdicts, single.Group, chunks, results[0]);
            }
            catch (PostgresException ex) when (AccessCheckUnavailableException.IsTransient(ex.SqlState))
            {
                throw new AccessCheckUnavailableException(ex.SqlState, ex.MessageText);
            }
            catch (PostgresException ex)
            {
                Fail(verdicts, single.Group, chunks, ex.SqlState, ex.MessageText);
            }
        }
        return verdicts;
    }

    /// <summary>Runs the checks; per group, per chunk: what <c>sluice.visible_rows</c> answered.</summary>
    private async Task<List<ChunkResult[]>> QueryAsync(List<(AccessGroup Group, List<Chunk> Chunks)> groups, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (group, chunks) in groups)
        {
            var identity = new NpgsqlBatchCommand(
                "SELECT pg_catalog.set_config('sluice.session_search_path', pg_catalog.current_setting('search_path'), true), pg_catalog.set_config('role', $1, true), "
                + "pg_catalog.set_config('request.jwt.claims', $2, true), pg_catalog.set_config('request.jwt.claim.sub', $3, true), pg_catalog.set_config('request.jwt.claim.role', $1, true)");
            identity.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group.Role });
            identity.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group.ClaimsJson });
            identity.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group.Subject ?? "" });
            batch.BatchCommands.Add(identity);
            foreach (var chunk in chunks)
            {
                var check = new NpgsqlBatchCommand("SELECT readable, visible, unknown, error_state, error_message FROM sluice.visible_rows($1, $2)");
                check.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = chunk.RelationId, NpgsqlDbType = NpgsqlDbType.Oid });
                check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = chunk.RowsJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
                batch.BatchCommands.Add(check);
            }
        }

        var results = new List<ChunkResult[]>(groups.Count);
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            var first = true;
            foreach (var (_, chunks) in groups)
            {
                // The reader starts on the first statement's result; every later statement is one NextResult further.
                if (!first)
                    await reader.NextResultAsync(cancellationToken);
                first = false;
                var perChunk = new ChunkResult[chunks.Count];
                for (var i = 0; i < chunks.Count; i++)
                {
                    await reader.NextResultAsync(cancellationToken);
                    await reader.ReadAsync(cancellationToken);
                    perChunk[i] = new ChunkResult(
                        reader.IsDBNull(0) ? null : reader.GetBoolean(0),
                        reader.IsDBNull(1) ? [] : reader.GetFieldValue<int[]>(1),
                        reader.IsDBNull(2) ? [] : reader.GetFieldValue<int[]>(2),
                        reader.IsDBNull(3) ? null : reader.GetString(3),
                        reader.IsDBNull(4) ? null : reader.GetString(4));
                }
                results.Add(perChunk);
            }
        }
        await transaction.RollbackAsync(cancellationToken);
        Interlocked.Add(ref _checks, groups.Sum(static g => g.Chunks.Count));
        return results;
    }

    /// <summary>
    /// The verdicts of one group for the chunks' changes. Throws <see cref="AccessCheckUnavailableException"/> when a check
    /// raised because of the database's state: nothing of this round is then trusted, the caller retries.
    /// </summary>
    private void Apply(VerdictList verdicts, AccessGroup group, List<Chunk> chunks, ChunkResult[] results)
    {
        foreach (var result in results)
        {
            if (result.ErrorState is { } state && AccessCheckUnavailableException.IsTransient(state))
                throw new AccessCheckUnavailableException(state, result.ErrorMessage ?? "");
        }
        for (var c = 0; c < chunks.Count; c++)
        {
            var chunk = chunks[c];
            var result = results[c];
            if (result.Readable is null)
            {
                SetAll(verdicts, group, chunk, AccessVerdict.TableGone);
                continue;
            }
            if (result.ErrorState is { } state)
            {
                LogCheckFailed(group.Role, state, result.ErrorMessage ?? "");
                SetAll(verdicts, group, chunk, AccessVerdict.Failed);
                continue;
            }
            var sight = new RowSight[chunk.RowCount + 1];
            Array.Fill(sight, RowSight.Hidden);
            sight[0] = RowSight.Absent;
            Mark(sight, result.Visible, RowSight.Visible);
            Mark(sight, result.Unknown, RowSight.Unknown);
            for (var i = 0; i < chunk.Changes.Count; i++)
            {
                var (change, newPosition, oldPosition) = chunk.Changes[i];
                verdicts.Add(change, group, result.Readable == false ? AccessVerdict.Hidden : Decide(change.Kind, sight[newPosition], sight[oldPosition]));
            }
        }
    }

    private static void Mark(RowSight[] sight, int[] positions, RowSight value)
    {
        foreach (var position in positions)
        {
            if (position > 0 && position < sight.Length)
                sight[position] = value;
        }
    }

    private static void SetAll(VerdictList verdicts, AccessGroup group, Chunk chunk, AccessVerdict verdict)
    {
        foreach (var (change, _, _) in chunk.Changes)
            verdicts.Add(change, group, verdict);
    }

    /// <summary>
    /// The delivery rule (docs/security.md, "What each change shows"): what a group sees of a change given which of its rows
    /// it may see. A row whose sight is unknown never makes a change visible it would not be without it; where the answer
    /// depends on it, the change is withheld (<see cref="AccessVerdict.ValuesMissing"/>).
    /// </summary>
    public static AccessVerdict Decide(ChangeKind kind, RowSight newRow, RowSight oldRow) => kind switch
    {
        ChangeKind.Insert => newRow switch
        {
            RowSight.Visible => AccessVerdict.Deliver,
            RowSight.Hidden => AccessVerdict.Hidden,
            _ => AccessVerdict.ValuesMissing,
        },
        ChangeKind.Update => newRow switch
        {
            // The old values are shown only when the old row is known to be visible.
            RowSight.Visible => oldRow == RowSight.Visible ? AccessVerdict.Deliver : AccessVerdict.DeliverWithoutOld,
            RowSight.Hidden => oldRow switch
            {
                RowSight.Visible => AccessVerdict.MoveOut,
                RowSight.Unknown => AccessVerdict.ValuesMissing,
                // No old row in the WAL (REPLICA IDENTITY DEFAULT, key unchanged): nothing to show of it.
                _ => AccessVerdict.Hidden,
            },
            _ => AccessVerdict.ValuesMissing,
        },
        ChangeKind.Delete => oldRow switch
        {
            RowSight.Visible => AccessVerdict.Deliver,
            RowSight.Hidden => AccessVerdict.Hidden,
            _ => AccessVerdict.ValuesMissing,
        },
        _ => AccessVerdict.Deliver, // TRUNCATE carries no row: whoever may read the table sees it.
    };

    private void Fail(VerdictList verdicts, AccessGroup group, List<Chunk> chunks, string sqlState, string reason)
    {
        LogCheckFailed(group.Role, sqlState, reason);
        foreach (var chunk in chunks)
            SetAll(verdicts, group, chunk, AccessVerdict.Failed);
    }

    /// <summary>What <c>sluice.visible_rows</c> answered for one chunk (see its comment in <see cref="Database.SqlApi"/>).</summary>
    private readonly record struct ChunkResult(bool? Readable, int[] Visible, int[] Unknown, string? ErrorState, string? ErrorMessage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Row-level security check failed for subscribers with role {Role} ({SqlState}: {Reason}); their changes are withheld")]
    private partial void LogCheckFailed(string role, string sqlState, string reason);

    /// <summary>Some changes of one table as a JSON array of rows (new and old rows get their own positions; 0 means none).</summary>
    private sealed class Chunk
    {
        public required uint RelationId { get; init; }
        public required IReadOnlyList<AccessGroup> Groups { get; init; }
        public required List<(RowChange Change, int NewPosition, int OldPosition)> Changes { get; init; }
        public required string RowsJson { get; init; }
        public required int RowCount { get; init; }

        public static Chunk Build(TableCheck check, ref int start)
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            var changes = new List<(RowChange, int, int)>();
            var rows = 0;
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartArray();
                for (; start < check.Changes.Count && rows < MaxRowsPerStatement; start++)
                {
                    var change = check.Changes[start];
                    var newPosition = 0;
                    var oldPosition = 0;
                    if (change.NewValues is { } newValues)
                    {
                        WriteRow(writer, change.Table, newValues);
                        newPosition = ++rows;
                    }
                    if (change.OldValues is { } oldValues)
                    {
                        WriteRow(writer, change.Table, oldValues);
                        oldPosition = ++rows;
                    }
                    changes.Add((change, newPosition, oldPosition));
                }
                writer.WriteEndArray();
            }
            return new Chunk
            {
                RelationId = check.RelationId,
                Groups = check.Groups,
                Changes = changes,
                RowsJson = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan),
                RowCount = rows,
            };
        }

        private static void WriteRow(Utf8JsonWriter writer, TableSchema table, string?[] values)
        {
            writer.WriteStartObject();
            for (var i = 0; i < table.Columns.Length && i < values.Length; i++)
            {
                var value = values[i];
                // A value the WAL did not carry is left out (not written as null): visible_rows then knows it is unknown.
                if (RowValues.IsUnavailable(value))
                    continue;
                if (value is null)
                    writer.WriteNull(table.Columns[i].Name);
                else
                    writer.WriteString(table.Columns[i].Name, value);
            }
            writer.WriteEndObject();
        }
    }
}
