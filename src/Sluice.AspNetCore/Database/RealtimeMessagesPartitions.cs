using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Sluice.Server.Database;

/// <summary>
/// Keeps the daily partitions of <c>realtime.messages</c> (see <see cref="RealtimeSchema"/>), as Supabase's Realtime
/// does, when the table is partitioned by range on <c>inserted_at</c> (the partitioned table Sluice creates, or
/// Supabase's) and Sluice's role owns it (or is a member of its owner; else they are its owner's to keep):
/// <c>realtime.messages_YYYY_MM_DD</c> for yesterday through today + 3 (UTC days), and partitions so named
/// whose day ended more than <see cref="RealtimeMessagesRetention"/> ago are dropped. Without a partition for its
/// day an insert fails (there is no default partition), so the first round runs in <see cref="StartAsync"/>, which
/// <c>SluiceStartup</c> calls before capture starts and before Sluice reports ready; then one round every hour. A
/// failure is logged and retried in the next round; it never stops the server. Every statement is its own short
/// transaction with a lock timeout, so a long transaction on the table delays a round instead of queueing inserts behind it.
/// </summary>
internal sealed partial class RealtimeMessagesPartitions(
    NpgsqlDataSource dataSource,
    TimeProvider time,
    RealtimeMessagesRetention retention,
    ILogger<RealtimeMessagesPartitions> logger) : BackgroundService
{
    /// <summary>How often the partitions are checked after the first round.</summary>
    internal static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>Days before today that get a partition (Supabase: yesterday).</summary>
    private const int DaysBefore = 1;

    /// <summary>Days after today that get a partition (Supabase: three).</summary>
    private const int DaysAfter = 3;

    /// <summary>
    /// Whether realtime.messages is partitioned by range on its one column inserted_at, and whether Sluice's role may
    /// create its partitions (it owns the table, or is a member of its owner); read from the catalogs, which need no
    /// privilege on the schema.
    /// </summary>
    private const string TableQuery = """
        SELECT c.oid,
               EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table pt
                       JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
                       WHERE pt.partrelid = c.oid AND pt.partstrat = 'r' AND pt.partnatts = 1 AND a.attname = 'inserted_at'),
               pg_catalog.pg_has_role(c.relowner, 'USAGE')
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'realtime' AND c.relname = 'messages'
        """;

    private const string PartitionsQuery = """
        SELECT c.relname
        FROM pg_catalog.pg_inherits i
        JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = $1 AND n.nspname = 'realtime'
        """;

    private PeriodicTimer? _timer;
    private Management? _management;

    private enum Management
    {
        Managed,
        Absent,
        NotPartitionedByDay,
        OwnedByAnother,
    }

    /// <summary>The name of the partition holding the rows inserted on <paramref name="day"/>.</summary>
    internal static string PartitionName(DateOnly day) => "messages_" + day.ToString("yyyy_MM_dd", CultureInfo.InvariantCulture);

    /// <summary>The first round (the partitions exist when this returns, unless the database refused), then one every <see cref="Interval"/>.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await MaintainAsync(time.GetUtcNow(), cancellationToken);
        // Created before the loop runs, so time that passes from here on counts (tests advance a fake clock at once).
        _timer = new PeriodicTimer(Interval, time);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _timer!.WaitForNextTickAsync(stoppingToken))
                await MaintainAsync(time.GetUtcNow(), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// One round at <paramref name="now"/>: drops the partitions past the retention, creates the missing ones of
    /// yesterday through today + 3. Nothing when realtime.messages is absent, not partitioned by day or not Sluice's role's. Never throws
    /// but for cancellation: failures are logged.
    /// </summary>
    internal async Task MaintainAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var (management, table) = await ReadTableAsync(connection, cancellationToken);
            if (management != _management)
            {
                if (management != Management.Managed)
                    LogNotManaged(management switch
                    {
                        Management.Absent => "there is no table realtime.messages",
                        Management.NotPartitionedByDay => "realtime.messages is not partitioned by range on inserted_at",
                        _ => "realtime.messages belongs to a role Sluice's role is not a member of (its partitions are its owner's to keep)",
                    });
                _management = management;
            }
            if (management != Management.Managed)
                return;

            await DropExpiredAsync(connection, table, now, cancellationToken);
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            for (var day = today.AddDays(-DaysBefore); day <= today.AddDays(DaysAfter); day = day.AddDays(1))
                await CreateAsync(connection, day, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogRoundFailed(ex is NpgsqlException ? DatabaseErrors.OneLine(ex) : ex.Message, ex);
        }
    }

    /// <summary>The day before which partitions are dropped: rows of a dropped day are all older than the retention.</summary>
    internal static DateOnly RetentionLimit(DateTimeOffset now, TimeSpan retention)
    {
        var cutoff = now - DateTimeOffset.MinValue <= retention ? DateTimeOffset.MinValue : now - retention;
        return DateOnly.FromDateTime(cutoff.UtcDateTime);
    }

    private static async Task<(Management Management, uint Table)> ReadTableAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(TableQuery, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return (Management.Absent, 0);
        var table = reader.GetFieldValue<uint>(0);
        if (!reader.GetBoolean(1))
            return (Management.NotPartitionedByDay, table);
        return (reader.GetBoolean(2) ? Management.Managed : Management.OwnedByAnother, table);
    }

    private async Task DropExpiredAsync(NpgsqlConnection connection, uint table, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var limit = RetentionLimit(now, retention.Period);
        var expired = new List<string>();
        await using (var list = new NpgsqlCommand(PartitionsQuery, connection))
        {
            list.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = table, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var name = reader.GetString(0);
                if (DayOf(name) is { } day && day < limit)
                    expired.Add(name);
            }
        }
        foreach (var name in expired)
        {
            try
            {
                await ExecuteAsync(connection, $"DROP TABLE IF EXISTS realtime.\"{name}\"", cancellationToken);
                LogDropped(name);
            }
            catch (PostgresException ex)
            {
                LogDropFailed(name, DatabaseErrors.OneLine(ex));
            }
        }
    }

    private async Task CreateAsync(NpgsqlConnection connection, DateOnly day, CancellationToken cancellationToken)
    {
        var name = PartitionName(day);
        var from = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var to = day.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        try
        {
            await ExecuteAsync(connection,
                $"CREATE TABLE IF NOT EXISTS realtime.\"{name}\" PARTITION OF realtime.messages FOR VALUES FROM ('{from}') TO ('{to}')",
                cancellationToken);
        }
        // Another node (or Supabase's Realtime) created it meanwhile.
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.UniqueViolation)
        {
        }
        catch (PostgresException ex)
        {
            LogCreateFailed(name, DatabaseErrors.OneLine(ex));
        }
    }

    /// <summary>One statement in its own transaction, waiting at most 10 s for locks.</summary>
    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var timeout = new NpgsqlCommand("SET LOCAL lock_timeout = '10s'", connection, transaction))
            await timeout.ExecuteNonQueryAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
            await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The day of a partition named <c>messages_YYYY_MM_DD</c>; null for any other name.</summary>
    internal static DateOnly? DayOf(string partition) =>
        DailyName().IsMatch(partition)
        && DateOnly.TryParseExact(partition.AsSpan("messages_".Length), "yyyy_MM_dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : null;

    [GeneratedRegex(@"^messages_[0-9]{4}_[0-9]{2}_[0-9]{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex DailyName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Sluice does not keep the partitions of realtime.messages: {Reason}")]
    private partial void LogNotManaged(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped partition realtime.{Partition}: its messages are older than Sluice:Supabase:MessageRetention")]
    private partial void LogDropped(string partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot drop partition realtime.{Partition} of realtime.messages ({Reason}); retrying in an hour")]
    private partial void LogDropFailed(string partition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot create partition realtime.{Partition} of realtime.messages ({Reason}); messages of that day cannot be inserted until it exists; retrying in an hour")]
    private partial void LogCreateFailed(string partition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot maintain the daily partitions of realtime.messages ({Reason}); retrying in an hour")]
    private partial void LogRoundFailed(string reason, Exception exception);
}
