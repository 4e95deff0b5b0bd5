using System.Diagnostics;
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
internal sealed partial class ChangeStreamPublisher(
    LogicalCapture capture,
    ChangeStreamFeed feed,
    ClusterRedis redis,
    AdvisoryLockLease lease,
    SlotMonitor slot,
    NpgsqlDataSource dataSource,
    IOptions<SluiceOptions> options,
    IOptions<ClusterOptions> cluster,
    ILogger<ChangeStreamPublisher> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(2);
    private const int MaxInFlight = 64;

    /// <summary>
    /// KEYS: stream, complete-from, last id. ARGV: id, payload, complete-from to set when missing (Redis lost the stream),
    /// channel, and the id that must already be in the stream ("" for none: the predecessor in a pipelined round, so a lost
    /// append can never be followed by an appended one). Returns {1, id} when appended, {0, top id} when the stream is
    /// already past the id, {2} when the predecessor is missing.
    /// </summary>
    private const string AppendScript = """
        local function parse(id)
          local dash = string.find(id, '-', 1, true)
          return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
        end
        if ARGV[5] ~= '' then
          local last = redis.call('GET', KEYS[3])
          if not last then return {2} end
          local lastLsn, lastSeq = parse(last)
          local needLsn, needSeq = parse(ARGV[5])
          if lastLsn < needLsn or (lastLsn == needLsn and lastSeq < needSeq) then return {2} end
        end
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
        redis.call('SET', KEYS[3], ARGV[1])
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
    private long _dropped;
    private int _failing;

    /// <summary>Batches appended to the stream by this node.</summary>
    public long Appended => Interlocked.Read(ref _appended);

    /// <summary>Batches this node captured that the stream already had (replayed after a takeover).</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Batches not appended because this node lost the lease before it could (the next leader captures them again).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>True while appends fail (Redis unreachable).</summary>
    public bool Failing => Volatile.Read(ref _failing) == 1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var trimming = TrimLoopAsync(stoppingToken);
        var transactions = capture.Transactions;
        var round = new List<Pending>(MaxInFlight);
        try
        {
            while (await transactions.WaitToReadAsync(stoppingToken))
            {
                // Pipelined: the appends of a round go out without waiting for each other (one connection keeps them in
                // order), then their answers are handled in order. A failed append is retried with everything after it,
                // one by one; what an earlier attempt did append is then refused by id and skipped.
                round.Clear();
                var predictedEnd = _lastEndLsn;
                string? predecessor = null;
                while (round.Count < MaxInFlight && transactions.TryRead(out var batch))
                {
                    if (!lease.IsLeader)
                    {
                        // Captured before this node lost the lease: the next leader captures it again from the slot.
                        Interlocked.Increment(ref _dropped);
                        continue;
                    }
                    var id = Prepare(batch);
                    if (id is not { } append)
                    {
                        round.Add(new Pending(batch, default, null));
                        continue;
                    }
                    var completeFrom = predictedEnd != 0 ? predictedEnd : await FirstCompleteFromAsync(batch, stoppingToken);
                    round.Add(new Pending(batch, append, Send(append, batch, completeFrom, predecessor)));
                    predecessor = append.ToString();
                    if (batch.NewEpoch is { } epoch)
                        predictedEnd = epoch.ConfirmedFlushLsn;
                    else if (batch.IsLast)
                        predictedEnd = batch.EndLsn;
                }
                for (var i = 0; i < round.Count; i++)
                {
                    var (batch, id, append) = round[i];
                    if (append is null)
                    {
                        Skip(batch);
                        continue;
                    }
                    var failed = false;
                    try
                    {
                        failed = !Handle(batch, id, await append);
                    }
                    catch (Exception ex) when (ex is RedisException or TimeoutException)
                    {
                        if (Interlocked.Exchange(ref _failing, 1) == 0)
                            LogAppendFailed(ex);
                        failed = true;
                    }
                    if (failed)
                    {
                        for (var j = i + 1; j < round.Count; j++)
                        {
                            if (round[j].Append is { } later)
                                await ((Task)later).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        }
                        for (var j = i; j < round.Count; j++)
                            await PublishAsync(round[j].Batch, stoppingToken);
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await trimming;
    }

    /// <summary>The id to append <paramref name="batch"/> with, or null when the stream already has it.</summary>
    private ChangeStreamId? Prepare(TransactionBatch batch)
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
        return id <= _top ? null : id;
    }

    private Task<RedisResult> Send(ChangeStreamId id, TransactionBatch batch, ulong completeFrom, string? predecessor) =>
        redis.Database.ScriptEvaluateAsync(AppendScript,
            [redis.StreamKey, redis.CompleteFromKey, redis.LastIdKey],
            [id.ToString(), ChangeStreamCodec.Encode(batch), completeFrom.ToString(CultureInfo.InvariantCulture), redis.StreamNotifications.ToString(),
                predecessor ?? ""]);

    /// <summary>Handles the append script's answer: appended, or already in the stream (skipped); false when the predecessor is missing.</summary>
    private bool Handle(TransactionBatch batch, ChangeStreamId id, RedisResult answer)
    {
        if (Interlocked.Exchange(ref _failing, 0) == 1)
            LogRecovered();
        var result = (RedisResult[])answer!;
        switch ((long)result[0])
        {
            case 1:
                _top = id;
                Interlocked.Increment(ref _appended);
                if (batch.IsLast || batch.NewEpoch is not null)
                    _lastEndLsn = batch.NewEpoch?.ConfirmedFlushLsn ?? batch.EndLsn;
                return true;
            case 2:
                return false;
        }
        if (ChangeStreamId.TryParse((string?)result[1], out var top) && top > _top)
            _top = top;
        Skip(batch);
        return true;
    }

    /// <summary>Appends one batch, retrying until Redis answers.</summary>
    private async Task PublishAsync(TransactionBatch batch, CancellationToken cancellationToken)
    {
        if (Prepare(batch) is not { } id)
        {
            Skip(batch);
            return;
        }
        var completeFrom = _lastEndLsn != 0 ? _lastEndLsn : await FirstCompleteFromAsync(batch, cancellationToken);
        var failingSince = 0L;
        while (true)
        {
            if (!lease.IsLeader)
            {
                // Only the leader appends; the next one captures this batch again from the slot.
                Interlocked.Increment(ref _dropped);
                return;
            }
            try
            {
                if (Handle(batch, id, await Send(id, batch, completeFrom, predecessor: null)))
                    return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (Interlocked.Exchange(ref _failing, 1) == 0)
                    LogAppendFailed(ex);
                if (failingSince == 0)
                    failingSince = Stopwatch.GetTimestamp();
                else if (Stopwatch.GetElapsedTime(failingSince) >= cluster.Value.LeaderStepDownAfter)
                    lease.StepDown();
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    private readonly record struct Pending(TransactionBatch Batch, ChangeStreamId Id, Task<RedisResult>? Append);

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
