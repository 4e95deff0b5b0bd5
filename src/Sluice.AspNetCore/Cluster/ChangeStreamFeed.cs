using System.Threading.Channels;
using Sluice.Server.Capture;
using StackExchange.Redis;

namespace Sluice.Server.Cluster;

/// <summary>
/// Every cluster node's source of transactions (the leader's too, so there is one dispatch path): reads the change
/// stream in id order from where the node's log starts, decodes each entry and hands it to the dispatcher through a
/// bounded channel. A pub/sub notification from the appending leader wakes it; without one it polls. Offsets are formed
/// from commit LSNs and the slot's epoch, so they are the same on every node.
/// <para>
/// If the stream no longer holds everything after what this node has read (Redis lost its data, or this node fell behind
/// the trim point), the node cannot know whether it missed changes: it restarts its log at the stream's start in the same
/// epoch, so every subscriber of the node gets <c>resync_required</c> instead of a silent gap.
/// </para>
/// </summary>
internal sealed partial class ChangeStreamFeed(
    ClusterRedis redis,
    LogicalCapture capture,
    ChangeStreamStart start,
    ILogger<ChangeStreamFeed> logger) : BackgroundService, IChangeSource
{
    private const int PageSize = 256;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly Channel<TransactionBatch> _output = Channel.CreateBounded<TransactionBatch>(
        new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ChangeStreamCodec _codec = new();

    private ulong _acknowledged;
    private long _lastReadLsn;
    private long _newestKnownLsn;
    private long _entriesRead;
    private long _restarts;
    private int _connected;

    public ChannelReader<TransactionBatch> Transactions => _output.Reader;

    /// <summary>What the dispatcher reported as no longer needed (the trim point, with the slot's confirmed position).</summary>
    public ulong AcknowledgedLsn => Interlocked.Read(ref _acknowledged);

    /// <summary>Commit LSN of the last entry read.</summary>
    public ulong LastReadLsn => (ulong)Interlocked.Read(ref _lastReadLsn);

    /// <summary>WAL bytes between the newest entry announced by the leader and the last one this node read.</summary>
    public long LagBytes => Math.Max(0, Interlocked.Read(ref _newestKnownLsn) - Interlocked.Read(ref _lastReadLsn));

    public long EntriesRead => Interlocked.Read(ref _entriesRead);

    /// <summary>How often the log was restarted because the stream had lost entries this node had not read.</summary>
    public long Restarts => Interlocked.Read(ref _restarts);

    /// <summary>True while the last read from Redis succeeded.</summary>
    public bool Connected => Volatile.Read(ref _connected) == 1;

    public void Acknowledge(ulong endLsn)
    {
        capture.Acknowledge(endLsn);
        if (endLsn > Interlocked.Read(ref _acknowledged))
            Interlocked.Exchange(ref _acknowledged, endLsn);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscriber = redis.Multiplexer.GetSubscriber();
        await SubscribeAsync(subscriber, stoppingToken);
        var after = ChangeStreamId.Before(start.Lsn);
        var completeUpTo = start.Lsn;
        var epoch = start.Epoch;
        Interlocked.Exchange(ref _lastReadLsn, (long)start.Lsn);
        var failing = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                StreamEntry[] entries;
                ulong completeFrom;
                try
                {
                    var transaction = redis.Database.CreateTransaction();
                    var read = transaction.StreamReadAsync(redis.StreamKey, after.ToString(), PageSize);
                    var from = transaction.StringGetAsync(redis.CompleteFromKey);
                    await transaction.ExecuteAsync();
                    entries = await read;
                    completeFrom = (ulong?)(long?)await from ?? 0;
                    Volatile.Write(ref _connected, 1);
                    if (failing)
                        LogReading();
                    failing = false;
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    Volatile.Write(ref _connected, 0);
                    if (!failing)
                        LogReadFailed(ex);
                    failing = true;
                    await Task.Delay(RetryDelay, stoppingToken);
                    continue;
                }

                if (completeFrom > completeUpTo)
                {
                    // Transactions between what this node has and where the stream now starts may be gone.
                    Interlocked.Increment(ref _restarts);
                    LogStreamGap(completeUpTo, completeFrom);
                    await _output.Writer.WriteAsync(Marker(new EpochStart(epoch, completeFrom)), stoppingToken);
                    completeUpTo = completeFrom;
                    if (ChangeStreamId.Before(completeFrom) > after)
                        after = ChangeStreamId.Before(completeFrom);
                    continue;
                }

                foreach (var entry in entries)
                {
                    if (!ChangeStreamId.TryParse(entry.Id.ToString(), out var id) || id <= after)
                        continue;
                    TransactionBatch batch;
                    try
                    {
                        batch = _codec.Decode((byte[])entry["b"]!);
                    }
                    catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IndexOutOfRangeException or InvalidCastException)
                    {
                        // Never skip silently: subscribers resync from after the unreadable entry.
                        LogUndecodable(ex, id.ToString());
                        Interlocked.Increment(ref _restarts);
                        after = id;
                        completeUpTo = id.Lsn + 1;
                        await _output.Writer.WriteAsync(Marker(new EpochStart(epoch, completeUpTo)), stoppingToken);
                        continue;
                    }
                    after = id;
                    if (batch.NewEpoch is { } newEpoch)
                    {
                        epoch = newEpoch.Epoch;
                        completeUpTo = newEpoch.ConfirmedFlushLsn;
                    }
                    else if (batch.IsLast)
                    {
                        completeUpTo = Math.Max(completeUpTo, batch.EndLsn);
                    }
                    Interlocked.Exchange(ref _lastReadLsn, (long)id.Lsn);
                    Interlocked.Increment(ref _entriesRead);
                    await _output.Writer.WriteAsync(batch, stoppingToken);
                }
                if (entries.Length < PageSize)
                {
                    using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    poll.CancelAfter(PollInterval);
                    try
                    {
                        await _wake.Reader.ReadAsync(poll.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _output.Writer.TryComplete();
        }
    }

    private async Task SubscribeAsync(ISubscriber subscriber, CancellationToken cancellationToken)
    {
        // Subscriptions are restored by the multiplexer after a reconnect; the first one may need to wait for Redis.
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await subscriber.SubscribeAsync(redis.StreamNotifications, (_, message) =>
                {
                    if (ChangeStreamId.TryParse(message.ToString(), out var id) && (long)id.Lsn > Interlocked.Read(ref _newestKnownLsn))
                        Interlocked.Exchange(ref _newestKnownLsn, (long)id.Lsn);
                    _wake.Writer.TryWrite(true);
                });
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogReadFailed(ex);
                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static TransactionBatch Marker(EpochStart start) => new()
    {
        Xid = 0,
        CommitLsn = 0,
        CommitTimestamp = DateTime.UtcNow,
        FirstIndex = 0,
        Changes = [],
        IsLast = false,
        NewEpoch = start,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the change stream from Redis; retrying (this node delivers no new changes meanwhile)")]
    private partial void LogReadFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reading the change stream again")]
    private partial void LogReading();

    [LoggerMessage(Level = LogLevel.Error, Message = "The change stream no longer holds everything after LSN {Have} (it starts at {From}); restarting the log, subscribers of this node resync")]
    private partial void LogStreamGap(ulong have, ulong from);

    [LoggerMessage(Level = LogLevel.Error, Message = "Change stream entry {Id} cannot be decoded; restarting the log after it, subscribers of this node resync")]
    private partial void LogUndecodable(Exception exception, string id);
}
