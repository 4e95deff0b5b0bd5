using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Sluice.Server.Rooms;
using StackExchange.Redis;

namespace Sluice.Server.Cluster;

/// <summary>
/// Rooms across cluster nodes. Every room message published on a node and every presence change of its connections goes
/// out on the Redis pub/sub channel <c>{prefix}:{slot}:rooms</c>; the other nodes deliver the message to their subscribers
/// (with their own room offsets) and keep the presence entry, so <c>presence_state</c> is the union over nodes. Each node
/// also keeps its presence in the hash <c>{prefix}:{slot}:presence:{node}</c> (expiring with the node), from which a node
/// loads the others' presence at start-up and after it reconnected to Redis. A node whose liveness key expired is dead:
/// its presence entries are removed with leave diffs. Outgoing messages wait in a bounded queue; what does not fit, or
/// cannot be published while Redis is down, is not relayed (counted in <see cref="Dropped"/>).
/// </summary>
internal sealed partial class ClusterRooms(
    ClusterRedis redis,
    RoomRegistry rooms,
    ClusterNodeRegistry nodes,
    IOptions<ClusterOptions> options,
    ILogger<ClusterRooms> logger) : BackgroundService, IRoomRelay
{
    private const int QueueCapacity = 10_000;

    private readonly Channel<RoomRelayMessage> _outbound = Channel.CreateBounded<RoomRelayMessage>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly RedisChannel _channel = RedisChannel.Literal($"{redis.Prefix}:rooms");
    private long _dropped;
    private long _relayed;
    private long _received;
    private int _reloadNeeded;

    public long Dropped => Interlocked.Read(ref _dropped);
    public long Relayed => Interlocked.Read(ref _relayed);
    public long Received => Interlocked.Read(ref _received);

    public void Published(string room, string eventName, ReadOnlyMemory<byte> payload) =>
        Enqueue(new RoomRelayMessage(redis.NodeId, room, eventName, Encoding.UTF8.GetString(payload.Span), null, null, null, null));

    public void PresenceChanged(string room, PresenceEntry? join, PresenceEntry? leave) =>
        Enqueue(new RoomRelayMessage(redis.NodeId, room, null, null, join?.Key, join?.Ref, join is null ? null : Encoding.UTF8.GetString(join.State), leave?.Ref));

    private void Enqueue(RoomRelayMessage message)
    {
        if (!_outbound.Writer.TryWrite(message))
            Interlocked.Increment(ref _dropped);
    }

    private string PresenceKey(string node) => $"{redis.Prefix}:presence:{node}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        rooms.Relay = this;
        redis.Multiplexer.ConnectionRestored += (_, _) => Volatile.Write(ref _reloadNeeded, 1);
        await SubscribeAsync(stoppingToken);
        var sending = SendLoopAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.NodeHeartbeatInterval);
        try
        {
            do
            {
                try
                {
                    if (Interlocked.Exchange(ref _reloadNeeded, 0) == 1)
                        await ReloadAsync();
                    await redis.Database.KeyExpireAsync(PresenceKey(redis.NodeId), options.Value.NodeTimeout);
                    if (await nodes.LiveNodeIdsAsync() is { } live)
                        rooms.RemoveRemotePresence(live.Contains);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    Volatile.Write(ref _reloadNeeded, 1);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        _outbound.Writer.TryComplete();
        await sending;
    }

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var queue = await redis.Multiplexer.GetSubscriber().SubscribeAsync(_channel);
                // One message at a time, in the order they were published.
                queue.OnMessage(message => Receive(message.Message));
                await ReloadAsync();
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogRelayFailed(ex);
                Volatile.Write(ref _reloadNeeded, 1);
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void Receive(RedisValue value)
    {
        RoomRelayMessage? message;
        try
        {
            message = JsonSerializer.Deserialize((byte[])value!, RoomRelayJsonContext.Default.RoomRelayMessage);
        }
        catch (JsonException ex)
        {
            LogUnreadable(ex);
            return;
        }
        if (message is null || message.Node == redis.NodeId)
            return;
        Interlocked.Increment(ref _received);
        if (message.Event is not null)
        {
            rooms.PublishRemote(message.Room, message.Event, Encoding.UTF8.GetBytes(message.Payload ?? "null"));
            return;
        }
        if (message.Key is null && message.LeaveRef is null && message.Ref is null)
        {
            // The node's presence was rewritten after it reconnected to Redis: load it again.
            _ = ReloadNodeAsync(message.Node);
            return;
        }
        rooms.ApplyRemotePresence(message.Node, message.Room, Remote(message.Node, message.Key, message.Ref, message.State),
            message.LeaveRef is null ? null : message.Node + ":" + message.LeaveRef);
    }

    private static PresenceEntry? Remote(string node, string? key, string? reference, string? state)
    {
        if (key is null || reference is null || state is null)
            return null;
        var stateBytes = Encoding.UTF8.GetBytes(state);
        var clusterRef = node + ":" + reference;
        return new PresenceEntry(key, clusterRef, stateBytes);
    }

    private async Task SendLoopAsync(CancellationToken stoppingToken)
    {
        var failing = false;
        try
        {
            while (await _outbound.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_outbound.Reader.TryRead(out var message))
                {
                    try
                    {
                        var database = redis.Database;
                        if (message.Event is null)
                        {
                            if (message.LeaveRef is not null)
                                await database.HashDeleteAsync(PresenceKey(redis.NodeId), message.Room + "\n" + message.LeaveRef);
                            if (message.Ref is not null)
                                await database.HashSetAsync(PresenceKey(redis.NodeId), message.Room + "\n" + message.Ref,
                                    JsonSerializer.SerializeToUtf8Bytes(message, RoomRelayJsonContext.Default.RoomRelayMessage));
                        }
                        await database.PublishAsync(_channel, JsonSerializer.SerializeToUtf8Bytes(message, RoomRelayJsonContext.Default.RoomRelayMessage));
                        Interlocked.Increment(ref _relayed);
                        failing = false;
                    }
                    catch (Exception ex) when (ex is RedisException or TimeoutException)
                    {
                        Interlocked.Increment(ref _dropped);
                        Volatile.Write(ref _reloadNeeded, 1);
                        if (!failing)
                            LogRelayFailed(ex);
                        failing = true;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Rewrites this node's presence hash from its rooms, tells the others to reload it, and reloads theirs.</summary>
    private async Task ReloadAsync()
    {
        var database = redis.Database;
        var own = PresenceKey(redis.NodeId);
        var local = rooms.LocalPresence();
        var transaction = database.CreateTransaction();
        _ = transaction.KeyDeleteAsync(own);
        foreach (var (room, entry) in local)
        {
            var message = new RoomRelayMessage(redis.NodeId, room, null, null, entry.Key, entry.Ref, Encoding.UTF8.GetString(entry.State), null);
            _ = transaction.HashSetAsync(own, room + "\n" + entry.Ref, JsonSerializer.SerializeToUtf8Bytes(message, RoomRelayJsonContext.Default.RoomRelayMessage));
        }
        _ = transaction.KeyExpireAsync(own, options.Value.NodeTimeout);
        await transaction.ExecuteAsync();
        await database.PublishAsync(_channel, JsonSerializer.SerializeToUtf8Bytes(
            new RoomRelayMessage(redis.NodeId, "", null, null, null, null, null, null), RoomRelayJsonContext.Default.RoomRelayMessage));
        if (await nodes.LiveNodeIdsAsync() is { } live)
        {
            foreach (var node in live)
            {
                if (node != redis.NodeId)
                    await ReloadNodeAsync(node);
            }
        }
    }

    private async Task ReloadNodeAsync(string node)
    {
        try
        {
            var fields = await redis.Database.HashGetAllAsync(PresenceKey(node));
            var entries = new List<(string, PresenceEntry)>(fields.Length);
            foreach (var field in fields)
            {
                if (JsonSerializer.Deserialize((byte[])field.Value!, RoomRelayJsonContext.Default.RoomRelayMessage) is { } message
                    && Remote(node, message.Key, message.Ref, message.State) is { } entry)
                    entries.Add((message.Room, entry));
            }
            rooms.ReplaceRemotePresence(node, entries);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            LogRelayFailed(ex);
            Volatile.Write(ref _reloadNeeded, 1);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot relay room messages or presence through Redis; other nodes miss them until it can")]
    private partial void LogRelayFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unreadable room relay message")]
    private partial void LogUnreadable(Exception exception);
}
