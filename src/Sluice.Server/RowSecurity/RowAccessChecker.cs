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
/// transaction that is rolled back. A group whose check fails (a policy raises, the role cannot be assumed) gets
/// <see cref="AccessVerdict.Failed"/> for its changes; the other groups are unaffected.
/// </summary>
public sealed partial class RowAccessChecker(NpgsqlDataSource dataSource, ILogger<RowAccessChecker> logger)
{
    private const int MaxRowsPerStatement = 2000;
    private const int MaxStatementsPerBatch = 64;
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private long _checks;

    /// <summary>How many (group, table chunk) checks the database has run: grows with distinct claim sets, not subscribers.</summary>
    public long Checks => Interlocked.Read(ref _checks);

    /// <summary>
    /// Adds a verdict for every change of every check, for each of the check's groups. Throws
    /// <see cref="NpgsqlException"/> (not <see cref="PostgresException"/>) when the database cannot be reached.
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

        var batch = new List<(AccessGroup Group, List<Chunk> Chunks)>();
        var statements = 0;
        foreach (var (group, groupChunks) in work)
        {
            if (statements > 0 && statements + groupChunks.Count + 1 > MaxStatementsPerBatch)
            {
                await RunAsync(batch, cancellationToken);
                batch.Clear();
                statements = 0;
            }
            batch.Add((group, groupChunks));
            statements += groupChunks.Count + 1;
        }
        if (batch.Count > 0)
            await RunAsync(batch, cancellationToken);
    }

    private async Task RunAsync(List<(AccessGroup Group, List<Chunk> Chunks)> groups, CancellationToken cancellationToken)
    {
        try
        {
            var results = await QueryAsync(groups, cancellationToken);
            for (var i = 0; i < groups.Count; i++)
                Apply(groups[i].Group, groups[i].Chunks, results[i]);
            return;
        }
        catch (PostgresException) when (groups.Count > 1)
        {
            // One group's check broke the shared transaction: judge each group alone to find out which.
        }
        catch (PostgresException ex)
        {
            Fail(groups[0].Group, groups[0].Chunks, ex);
            return;
        }

        foreach (var single in groups)
        {
            List<Chunk> chunks = single.Chunks;
            try
            {
                var results = await QueryAsync([single], cancellationToken);
                Apply(single.Group, chunks, results[0]);
            }
            catch (PostgresException ex)
            {
                Fail(single.Group, chunks, ex);
            }
        }
    }

    /// <summary>Runs the checks; per group, per chunk: whether the role may read the table and the visible row positions.</summary>
    private async Task<List<(bool Readable, int[] Visible)[]>> QueryAsync(List<(AccessGroup Group, List<Chunk> Chunks)> groups, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (group, chunks) in groups)
        {
            var identity = new NpgsqlBatchCommand(
                "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true)");
            identity.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group.Role });
            identity.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group.ClaimsJson });
            identity.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group.Subject ?? "" });
            batch.BatchCommands.Add(identity);
            foreach (var chunk in chunks)
            {
                var check = new NpgsqlBatchCommand("SELECT readable, visible FROM sluice.visible_rows($1, $2)");
                check.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = chunk.RelationId, NpgsqlDbType = NpgsqlDbType.Oid });
                check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = chunk.RowsJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
                batch.BatchCommands.Add(check);
            }
        }

        var results = new List<(bool, int[])[]>(groups.Count);
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            var first = true;
            foreach (var (_, chunks) in groups)
            {
                // The reader starts on the first statement's result; every later statement is one NextResult further.
                if (!first)
                    await reader.NextResultAsync(cancellationToken);
                first = false;
                var perChunk = new (bool, int[])[chunks.Count];
                for (var i = 0; i < chunks.Count; i++)
                {
                    await reader.NextResultAsync(cancellationToken);
                    await reader.ReadAsync(cancellationToken);
                    perChunk[i] = (reader.GetBoolean(0), reader.IsDBNull(1) ? [] : reader.GetFieldValue<int[]>(1));
                }
                results.Add(perChunk);
            }
        }
        await transaction.RollbackAsync(cancellationToken);
        Interlocked.Add(ref _checks, groups.Sum(static g => g.Chunks.Count));
        return results;
    }

    private static void Apply(AccessGroup group, List<Chunk> chunks, (bool Readable, int[] Visible)[] results)
    {
        for (var c = 0; c < chunks.Count; c++)
        {
            var chunk = chunks[c];
            var (readable, visiblePositions) = results[c];
            var visible = new bool[chunk.RowCount + 1];
            foreach (var position in visiblePositions)
            {
                if (position > 0 && position < visible.Length)
                    visible[position] = true;
            }
            for (var i = 0; i < chunk.Changes.Count; i++)
            {
                var (change, newPosition, oldPosition) = chunk.Changes[i];
                change.AddVerdict(group, !readable ? AccessVerdict.Hidden : Decide(change.Kind, visible[newPosition], visible[oldPosition]));
            }
        }
    }

    /// <summary>The delivery rule (README, "Row-level security"): what a group sees of a change given which of its rows it may see.</summary>
    public static AccessVerdict Decide(ChangeKind kind, bool newVisible, bool oldVisible) => kind switch
    {
        ChangeKind.Insert => newVisible ? AccessVerdict.Deliver : AccessVerdict.Hidden,
        ChangeKind.Update when newVisible => oldVisible ? AccessVerdict.Deliver : AccessVerdict.DeliverWithoutOld,
        ChangeKind.Update => oldVisible ? AccessVerdict.MoveOut : AccessVerdict.Hidden,
        ChangeKind.Delete => oldVisible ? AccessVerdict.Deliver : AccessVerdict.Hidden,
        _ => AccessVerdict.Deliver, // TRUNCATE carries no row: whoever may read the table sees it.
    };

    private void Fail(AccessGroup group, List<Chunk> chunks, PostgresException exception)
    {
        LogCheckFailed(exception, group.Role, exception.SqlState, exception.MessageText);
        foreach (var chunk in chunks)
        {
            foreach (var (change, _, _) in chunk.Changes)
                change.AddVerdict(group, AccessVerdict.Failed);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Row-level security check failed for subscribers with role {Role} ({SqlState}: {Reason}); their changes are withheld")]
    private partial void LogCheckFailed(Exception exception, string role, string sqlState, string reason);

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
