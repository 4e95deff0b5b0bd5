using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;
using Sluice.Server.Database;
using Sluice.Server.Hosting;
using Sluice.Server.Log;

namespace Sluice.Server.Capture;

/// <summary>
/// Owns the one logical replication connection: decodes pgoutput into immutable
/// <see cref="TransactionBatch"/>es for the dispatcher, and advances the slot only to what
/// <see cref="Acknowledge"/> reports handled. Reconnects with backoff when the stream breaks. Streams only while
/// <see cref="ICaptureLease"/> allows it (always on a single node; on the leader in a cluster).
/// </summary>
internal sealed partial class LogicalCapture(
    DatabaseConnection database,
    ColumnTypeResolver types,
    ICaptureLease lease,
    IOptions<SluiceOptions> options,
    ILogger<LogicalCapture> logger) : BackgroundService, IChangeSource
{
    private const int MaxBatchChanges = 256;

    /// <summary>A batch that has no changes (every empty transaction's), shared.</summary>
    private static readonly RowChange[] NoChanges = [];

    private readonly Channel<TransactionBatch> _output = Channel.CreateBounded<TransactionBatch>(
        new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private LogicalReplicationConnection? _connection;
    private readonly Lock _streamGate = new();
    private CancellationTokenSource? _stream;
    private string? _dropReason;
    private ulong _acknowledged;
    private ulong _lastEmittedEndLsn;

    public ChannelReader<TransactionBatch> Transactions => _output.Reader;

    public CaptureState State { get; private set; } = CaptureState.Starting;

    /// <summary>
    /// Why capture is not streaming, in one line without secrets (e.g. "cannot reach the database: Connection refused"),
    /// while it retries; null while it streams.
    /// </summary>
    public string? Failure { get; private set; }

    /// <summary>The highest WAL position confirmed to PostgreSQL.</summary>
    public ulong AcknowledgedLsn => Interlocked.Read(ref _acknowledged);

    /// <summary>Everything up to <paramref name="endLsn"/> is handled: the slot may advance there.</summary>
    public void Acknowledge(ulong endLsn)
    {
        if (endLsn <= Interlocked.Read(ref _acknowledged))
            return;
        Interlocked.Exchange(ref _acknowledged, endLsn);
        _connection?.SetReplicationStatus(new NpgsqlLogSequenceNumber(endLsn));
    }

    /// <summary>
    /// Closes the replication connection now; capture reconnects after its usual pause and resumes after what it emitted.
    /// For a database that is shutting down: PostgreSQL's shutdown waits for every walsender to be confirmed up to the
    /// end of WAL, which a consumer that confirms only what it handled never does while it stays connected.
    /// </summary>
    public void DropStream(string reason)
    {
        CancellationTokenSource? stream;
        lock (_streamGate)
        {
            stream = _stream;
            if (stream is null || stream.IsCancellationRequested || State != CaptureState.Streaming)
                return;
            _dropReason = reason;
        }
        try
        {
            stream.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That stream ended meanwhile.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        CancellationTokenSource? leadership = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (leadership is null || leadership.IsCancellationRequested)
            {
                leadership?.Dispose();
                leadership = null;
                try
                {
                    var acquiring = lease.AcquireAsync(stoppingToken);
                    if (!acquiring.IsCompleted)
                        State = CaptureState.Standby;
                    var held = await acquiring;
                    leadership = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, held);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                delay = TimeSpan.FromMilliseconds(250);
            }
            var stream = CancellationTokenSource.CreateLinkedTokenSource(leadership.Token);
            lock (_streamGate)
            {
                _stream?.Dispose();
                _stream = stream;
                _dropReason = null;
            }
            try
            {
                if (await StreamAsync(stream.Token))
                {
                    // PostgreSQL is shutting down: retry soon, as after a network cut, and back off while it is down.
                    State = CaptureState.Retrying;
                    await Task.Delay(delay, leadership.Token);
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (OperationCanceledException) when (leadership.IsCancellationRequested)
            {
                LogLeadershipLost(options.Value.SlotName);
                continue;
            }
            catch (OperationCanceledException) when (stream.IsCancellationRequested)
            {
                // Dropped on purpose (DropStream): reconnect after the usual pause; what was not acknowledged is read again.
                Failure = _dropReason ?? "the replication stream was dropped";
                State = CaptureState.Retrying;
                LogStreamDropped(Failure);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                continue;
            }
            catch (PostgresException ex) when (IsSlotGone(ex))
            {
                Failure = Describe(ex);
                State = CaptureState.Retrying;
                LogSlotLost(ex, options.Value.SlotName);
                try
                {
                    await RecreateSlotAsync(stoppingToken);
                }
                catch (Exception recreate) when (recreate is NpgsqlException or InvalidOperationException)
                {
                    LogStreamFailed(recreate, delay.TotalSeconds);
                    await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
                continue;
            }
            catch (Exception ex)
            {
                Failure = Describe(ex);
                State = CaptureState.Retrying;
                LogStreamFailed(ex, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, leadership.Token);
                }
                catch (OperationCanceledException)
                {
                    if (stoppingToken.IsCancellationRequested)
                        break;
                    continue;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                continue;
            }
            delay = TimeSpan.FromMilliseconds(250);
        }
        leadership?.Dispose();
        lock (_streamGate)
        {
            _stream?.Dispose();
            _stream = null;
        }
        State = CaptureState.Stopped;
        _output.Writer.TryComplete();
    }

    /// <summary>Streams until the stream fails (throws) or PostgreSQL announces a shutdown (returns true, having let go of the slot).</summary>
    private async Task<bool> StreamAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = new LogicalReplicationConnection(database.ConnectionString);
        await connection.Open(cancellationToken);

        // The replication connection must not outlive a shutdown announced on any other connection (see ShutdownWatch).
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var shutdown = WatchForShutdownAsync(streaming);
        try
        {
            await StreamAsync(connection, streaming.Token);
            return false;
        }
        catch (OperationCanceledException) when (streaming.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Only the watch cancels the stream on its own.
            return await shutdown;
        }
        finally
        {
            await streaming.CancelAsync();
            await shutdown;
        }
    }

    /// <summary>Cancels <paramref name="streaming"/> when PostgreSQL says it is shutting down; true when it did.</summary>
    private async Task<bool> WatchForShutdownAsync(CancellationTokenSource streaming)
    {
        string reason;
        try
        {
            reason = await ShutdownWatch.WaitForShutdownAsync(database.ConnectionString, streaming.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        LogReleasingForShutdown(options.Value.SlotName, reason);
        // Idle pooled connections were ended by the shutdown too: drop them, so the next query opens a fresh one.
        database.DataSource.Clear();
        await streaming.CancelAsync();
        return true;
    }

    private async Task StreamAsync(LogicalReplicationConnection connection, CancellationToken cancellationToken)
    {
        var settings = options.Value;

        var slot = new PgOutputReplicationSlot(settings.SlotName);
        var replicationOptions = new PgOutputReplicationOptions(
            settings.PublicationName, PgOutputProtocolVersion.V1, binary: false, streamingMode: null, messages: true);
        var relations = new Dictionary<uint, TableSchema>();
        // Reused for every transaction; each batch gets an exact copy (a single-row transaction must not cost a 256-slot array).
        var pending = new List<RowChange>(MaxBatchChanges);
        List<RealtimeDisabled>? disabled = null;
        uint xid = 0, firstIndex = 0;
        ulong commitLsn = 0;
        var commitTimestamp = default(DateTime);

        _connection = connection;
        try
        {
            var acknowledged = AcknowledgedLsn;
            if (acknowledged != 0)
                connection.SetReplicationStatus(new NpgsqlLogSequenceNumber(acknowledged));

            LogStreaming(settings.SlotName, settings.PublicationName);
            Failure = null;
            State = CaptureState.Streaming;
            // After a reconnect, skip what this process already has instead of re-reading the retention window.
            NpgsqlLogSequenceNumber? resumeFrom = _lastEmittedEndLsn == 0 ? null : new NpgsqlLogSequenceNumber(_lastEmittedEndLsn);
            await foreach (var message in connection.StartReplication(slot, replicationOptions, cancellationToken, resumeFrom))
            {
                switch (message)
                {
                    case BeginMessage begin:
                        xid = begin.TransactionXid;
                        commitLsn = (ulong)begin.TransactionFinalLsn;
                        commitTimestamp = begin.TransactionCommitTimestamp;
                        firstIndex = 0;
                        pending.Clear();
                        disabled = null;
                        break;
                    case RelationMessage relation:
                        relations[relation.RelationId] = await DescribeAsync(relation, cancellationToken);
                        break;
                    case InsertMessage insert:
                        {
                            var table = relations[insert.Relation.RelationId];
                            var row = await RowReader.ReadAsync(insert.NewRow, table, keyOnly: false, cancellationToken);
                            pending.Add(new RowChange(ChangeKind.Insert, table, row, null));
                            break;
                        }
                    case FullUpdateMessage update:
                        {
                            var table = relations[update.Relation.RelationId];
                            var old = await RowReader.ReadAsync(update.OldRow, table, keyOnly: false, cancellationToken);
                            var row = await RowReader.ReadAsync(update.NewRow, table, keyOnly: false, cancellationToken);
                            RowReader.FillUnavailable(row, old);
                            pending.Add(new RowChange(ChangeKind.Update, table, row, old));
                            break;
                        }
                    case IndexUpdateMessage update:
                        {
                            var table = relations[update.Relation.RelationId];
                            var key = await RowReader.ReadAsync(update.Key, table, keyOnly: true, cancellationToken);
                            var row = await RowReader.ReadAsync(update.NewRow, table, keyOnly: false, cancellationToken);
                            pending.Add(new RowChange(ChangeKind.Update, table, row, key));
                            break;
                        }
                    case UpdateMessage update:
                        {
                            var table = relations[update.Relation.RelationId];
                            var row = await RowReader.ReadAsync(update.NewRow, table, keyOnly: false, cancellationToken);
                            pending.Add(new RowChange(ChangeKind.Update, table, row, null));
                            break;
                        }
                    case FullDeleteMessage delete:
                        {
                            var table = relations[delete.Relation.RelationId];
                            var old = await RowReader.ReadAsync(delete.OldRow, table, keyOnly: false, cancellationToken);
                            pending.Add(new RowChange(ChangeKind.Delete, table, null, old));
                            break;
                        }
                    case KeyDeleteMessage delete:
                        {
                            var table = relations[delete.Relation.RelationId];
                            var key = await RowReader.ReadAsync(delete.Key, table, keyOnly: true, cancellationToken);
                            pending.Add(new RowChange(ChangeKind.Delete, table, null, key));
                            break;
                        }
                    case CommitMessage commit:
                        // Emitted even when empty, so the slot only advances in order behind the dispatcher.
                        await EmitAsync(xid, commitLsn, commitTimestamp, firstIndex, TakeChanges(pending), isLast: true, (ulong)commit.TransactionEndLsn, cancellationToken, disabled);
                        disabled = null;
                        break;
                    case LogicalDecodingMessage { Prefix: RealtimeDisabled.MessagePrefix } disabling:
                        {
                            using var content = new MemoryStream();
                            await disabling.Data.CopyToAsync(content, cancellationToken);
                            if (RealtimeDisabled.Parse(content.GetBuffer().AsSpan(0, (int)content.Length)) is { } table)
                                (disabled ??= []).Add(table);
                            break;
                        }
                    case TruncateMessage truncate:
                        foreach (var relation in truncate.Relations)
                            pending.Add(new RowChange(ChangeKind.Truncate, relations[relation.RelationId], null, null));
                        break;
                }

                if (pending.Count >= MaxBatchChanges)
                {
                    var emitted = (uint)pending.Count;
                    await EmitAsync(xid, commitLsn, commitTimestamp, firstIndex, TakeChanges(pending), isLast: false, 0, cancellationToken);
                    firstIndex += emitted;
                }
            }
        }
        finally
        {
            _connection = null;
            await TryFlushStatusAsync(connection);
        }
    }

    /// <summary>A failure of the stream in one line for <c>/health</c>: what PostgreSQL said, or why it could not be reached. Never the connection string.</summary>
    private static string Describe(Exception exception) => exception switch
    {
        PostgresException postgres => $"the database refused the replication stream: {postgres.SqlState}: {postgres.MessageText}",
        NpgsqlException { InnerException: System.Net.Sockets.SocketException socket } => $"cannot reach the database: {socket.Message}",
        NpgsqlException npgsql => $"the database connection failed: {npgsql.Message}",
        TimeoutException => "the database did not answer in time",
        _ => $"capture failed: {exception.Message}",
    };

    /// <summary>The slot was dropped, or invalidated (e.g. by <c>max_slot_wal_keep_size</c>): its history is gone.</summary>
    private static bool IsSlotGone(PostgresException exception) =>
        exception.SqlState is PostgresErrorCodes.UndefinedObject or PostgresErrorCodes.ObjectNotInPrerequisiteState
        && exception.MessageText.Contains("replication slot", StringComparison.Ordinal);

    /// <summary>
    /// Creates the slot afresh and starts a new log epoch. The dispatcher gets the new epoch in order with the
    /// data, so every subscriber is told to resync instead of silently missing what the old slot lost.
    /// </summary>
    private async Task RecreateSlotAsync(CancellationToken cancellationToken)
    {
        var slotName = options.Value.SlotName;
        await using (var drop = database.DataSource.CreateCommand(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active"))
        {
            drop.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }
        var created = await ReplicationSlot.EnsureAsync(database.DataSource, database.ConnectionString, slotName, cancellationToken);
        var epoch = await LogEpoch.ResolveAsync(database.DataSource, slotName, created, cancellationToken);
        var position = await ReplicationSlot.ReadPositionAsync(database.DataSource, slotName, cancellationToken);
        _lastEmittedEndLsn = 0;
        Interlocked.Exchange(ref _acknowledged, 0);
        await _output.Writer.WriteAsync(new TransactionBatch
        {
            Xid = 0,
            CommitLsn = 0,
            CommitTimestamp = DateTime.UtcNow,
            FirstIndex = 0,
            Changes = [],
            IsLast = false,
            NewEpoch = new EpochStart(epoch, position?.ConfirmedFlushLsn ?? 0),
        }, cancellationToken);
        LogNewEpoch(slotName, epoch.Value);
    }

    /// <summary>Tells PostgreSQL what was handled before the connection goes, so a restart replays less.</summary>
    private async Task TryFlushStatusAsync(LogicalReplicationConnection connection)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await connection.SendStatusUpdate(timeout.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            LogStatusFlushFailed(ex);
        }
    }

    /// <summary>The pending changes as an array of their exact size; <paramref name="pending"/> is emptied for reuse.</summary>
    private static RowChange[] TakeChanges(List<RowChange> pending)
    {
        var changes = pending.Count == 0 ? NoChanges : pending.ToArray();
        pending.Clear();
        return changes;
    }

    private async ValueTask EmitAsync(uint xid, ulong commitLsn, DateTime commitTimestamp, uint firstIndex, RowChange[] changes, bool isLast, ulong endLsn,
        CancellationToken cancellationToken, List<RealtimeDisabled>? disabled = null)
    {
        await _output.Writer.WriteAsync(new TransactionBatch
        {
            Xid = xid,
            CommitLsn = commitLsn,
            CommitTimestamp = commitTimestamp,
            FirstIndex = firstIndex,
            Changes = changes,
            IsLast = isLast,
            EndLsn = endLsn,
            Disabled = (IReadOnlyList<RealtimeDisabled>?)disabled ?? [],
        }, cancellationToken);
        if (isLast)
            _lastEmittedEndLsn = endLsn;
    }

    private async Task<TableSchema> DescribeAsync(RelationMessage relation, CancellationToken cancellationToken)
    {
        var primaryKey = await PrimaryKeyAsync(relation.RelationId, cancellationToken);
        var columns = ImmutableArray.CreateBuilder<TableColumn>(relation.Columns.Count);
        foreach (var column in relation.Columns)
        {
            var type = await types.ResolveAsync(column.DataTypeId, cancellationToken);
            columns.Add(new TableColumn(column.ColumnName, type, column.Flags.HasFlag(RelationMessage.Column.ColumnFlags.PartOfKey),
                primaryKey.Contains(column.ColumnName)));
        }
        return new TableSchema(relation.RelationId, relation.Namespace, relation.RelationName, columns.MoveToImmutable());
    }

    /// <summary>
    /// The primary key's columns (pgoutput flags the replica identity, which is every column under REPLICA IDENTITY FULL):
    /// how a client fetches a row that was too large to send. Empty when the table has none, or is gone.
    /// </summary>
    private async Task<HashSet<string>> PrimaryKeyAsync(uint relationId, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var command = database.DataSource.CreateCommand("""
            SELECT a.attname FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = $1 AND i.indisprimary
            """);
        command.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = relationId, NpgsqlDbType = NpgsqlDbType.Oid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            names.Add(reader.GetString(0));
        return names;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL is shutting down ({Reason}); releasing slot {Slot} at once, to resume when it is back")]
    private partial void LogReleasingForShutdown(string slot, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Streaming changes from slot {Slot}, publication {Publication}")]
    private partial void LogStreaming(string slot, string publication);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication stream failed; retrying in {DelaySeconds} s")]
    private partial void LogStreamFailed(Exception exception, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Replication slot {Slot} is gone (dropped or invalidated); recreating it. Subscribers will be asked to resync")]
    private partial void LogSlotLost(Exception exception, string slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication slot {Slot} recreated; new log epoch {Epoch}")]
    private partial void LogNewEpoch(string slot, string epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node no longer holds the capture lease of slot {Slot}; capture stops")]
    private partial void LogLeadershipLost(string slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication stream closed: {Reason}; reconnecting")]
    private partial void LogStreamDropped(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not send the final replication status")]
    private partial void LogStatusFlushFailed(Exception exception);

}
