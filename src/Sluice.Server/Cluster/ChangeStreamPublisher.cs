using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Sluice.Server.Capture;
using Sluice.Server.Hosting;
using Sluice.Server.Observability;
using StackExchange.Redis;

namespace Sluice.Server.Cluster;

/// <summary>
/// On the leader, appends every transaction batch the capture decodes to the change stream, in commit order, before
/// anything of it is dispatched or acknowledged (the dispatcher of every node, the leader's too, reads the stream).
/// Batches the stream already has (a new leader replays from the slot's confirmed position) are skipped: entry ids are
/// commit positions, and Redis refuses an id that is not newer than the stream's last. While Redis cannot be reached
/// the batch is retried: capture waits behind the bounded channel, nothing reaches the log, so the slot is not advanced
/// and PostgreSQL keeps the WAL. The leader also trims the stream to what the slot has confirmed.
/// </summary>
public sealed partial class ChangeStreamPublisher(
    LogicalCapture capture,
    ChangeStreamFeed feed,
    ClusterRedis redis,
    AdvisoryLockLease lease,
    SlotMonitor slot,
    NpgsqlDataSource dataSource,
    IOptions<SluiceOptions> options,
    ILogger<ChangeStreamPublisher> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// KEYS: stream, complete-from. ARGV: id, payload, complete-from to set when missing (Redis lost the stream), channel.
    /// Returns {1, id} when appended, {0, top id} when the stream is already past the id.
    /// </summary>
    private const string AppendScript = """
        local added = redis.pcall('XADD', KEYS[1], ARGV[1], 'b', ARGV[2])
        if type(added) == 'table' and added['err'] then
          if string.find(added['err'], 'equal or smaller', 1, true) then
            local info = redis.call('XINFO', 'STREAM', KEYS[1])
            for i = 1, #info, 2 do
              if info[i] == 'last-generated-id' then return {0, info[i + 1]} end
            end
          end
          return added
        end
        if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], ARGV[3]) end
        redis.call('PUBLISH', ARGV[4], ARGV[1])
        return {1, added}
        """;

    /// <summary>KEYS: stream, complete-from. ARGV: the LSN before which entries go.</summary>
    private const string TrimScript = """
        local from = tonumber(redis.call('GET', KEYS[2]) or '0')
        if from < tonumber(ARGV[1]) then redis.call('SET', KEYS[2], ARGV[1]) end
        return redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
        """;

    private ChangeStreamId _top;
    private ulong _lastEndLsn;
    private long _term;
    private ulong _trimmedTo;
    private long _appended;
    private long _skipped;
    private int _failing;

    /// <summary>Batches appended to the stream by this node.</summary>
    public long Appended => Interlocked.Read(ref _appended);

    /// <summary>Batches this node captured that the stream already had (replayed after a takeover).</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>True while appends fail (Redis unreachable).</summary>
    public bool Failing => Volatile.Read(ref _failing) == 1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var trimming = TrimLoopAsync(stoppingToken);
        var transactions = capture.Transactions;
        try
        {
            while (await transactions.WaitToReadAsync(stoppingToken))
            {
                while (transactions.TryRead(out var batch))
                    await PublishAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await trimming;
    }

    private async Task PublishAsync(TransactionBatch batch, CancellationToken cancellationToken)
    {
        var term = lease.Acquisitions;
        if (term != _term)
        {
            // What this node published in an earlier term says nothing about where the stream is complete now.
            _term = term;
            _lastEndLsn = 0;
        }
        var id = ChangeStreamId.Of(batch);
        if (batch.NewEpoch is not null && id <= _top)
            id = new ChangeStreamId(_top.Lsn, _top.Sequence + 1);
        if (id <= _top)
        {
            Skip(batch);
            return;
        }
        var payload = ChangeStreamCodec.Encode(batch);
        var completeFrom = _lastEndLsn != 0 ? _lastEndLsn : await FirstCompleteFromAsync(batch, cancellationToken);
        while (true)
        {
            try
            {
                var result = (RedisResult[])(await redis.Database.ScriptEvaluateAsync(AppendScript,
                    [redis.StreamKey, redis.CompleteFromKey],
                    [id.ToString(), payload, completeFrom.ToString(CultureInfo.InvariantCulture), redis.StreamNotifications.ToString()]))!;
                if (Interlocked.Exchange(ref _failing, 0) == 1)
                    LogRecovered();
                if ((long)result[0] == 1)
                {
                    _top = id;
                    Interlocked.Increment(ref _appended);
                    if (batch.IsLast || batch.NewEpoch is not null)
                        _lastEndLsn = batch.NewEpoch?.ConfirmedFlushLsn ?? batch.EndLsn;
                    return;
                }
                if (ChangeStreamId.TryParse((string?)result[1], out var top))
                    _top = top;
                if (id <= _top)
                {
                    Skip(batch);
                    return;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (Interlocked.Exchange(ref _failing, 1) == 0)
                    LogAppendFailed(ex);
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Where the stream is complete from when it had to be started anew (first start, or Redis lost it) and this term has
    /// published nothing yet: the batch's own transaction; in the first term of this process capture started at the slot's
    /// confirmed position, so the stream is complete from there (followers that start at that position then need no resync).
    /// </summary>
    private async ValueTask<ulong> FirstCompleteFromAsync(TransactionBatch batch, CancellationToken cancellationToken)
    {
        var own = batch.NewEpoch?.ConfirmedFlushLsn ?? (batch.FirstIndex == 0 ? batch.CommitLsn : batch.CommitLsn + 1);
        if (_term != 1 || batch.NewEpoch is not null)
            return own;
        try
        {
            var position = await ReplicationSlot.ReadPositionAsync(dataSource, options.Value.SlotName, cancellationToken);
            return position is { ConfirmedFlushLsn: > 0 } p ? Math.Min(p.ConfirmedFlushLsn, own) : own;
        }
        catch (NpgsqlException)
        {
            return own;
        }
    }

    private void Skip(TransactionBatch batch)
    {
        Interlocked.Increment(ref _skipped);
        if (batch.IsLast)
            _lastEndLsn = batch.EndLsn;
    }

    /// <summary>Removes entries of transactions the slot has confirmed (they have left every node's retention window).</summary>
    private async Task TrimLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TrimInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (capture.State != CaptureState.Streaming || slot.Latest is not { } position)
                    continue;
                var trimTo = Math.Min(position.ConfirmedFlushLsn, feed.AcknowledgedLsn);
                if (trimTo <= _trimmedTo)
                    continue;
                try
                {
                    await redis.Database.ScriptEvaluateAsync(TrimScript, [redis.StreamKey, redis.CompleteFromKey],
                        [trimTo.ToString(CultureInfo.InvariantCulture)]);
                    _trimmedTo = trimTo;
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    LogTrimFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot append to the change stream in Redis; capture waits and the slot is not advanced until it can")]
    private partial void LogAppendFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Appending to the change stream again")]
    private partial void LogRecovered();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot trim the change stream; retrying later")]
    private partial void LogTrimFailed(Exception exception);
}
