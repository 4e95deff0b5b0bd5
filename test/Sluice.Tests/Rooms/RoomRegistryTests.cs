using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Server.Connections;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Rooms;

namespace Sluice.Tests.Rooms;

/// <summary>The registry's bookkeeping: history age, dropping idle rooms, offsets never reused, no state left by closed connections.</summary>
public sealed class RoomRegistryTests : IDisposable
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{}");

    private readonly ManualTime _time = new();
    private readonly RoomRegistry _rooms;

    public RoomRegistryTests() =>
        _rooms = new RoomRegistry(Options.Create(new RoomOptions { HistoryMessages = 10, HistoryAge = TimeSpan.FromMinutes(5) }), _time);

    private static ClientConnection Connection() =>
        new(WebSocket.CreateFromStream(new MemoryStream(), isServer: true, null, Timeout.InfiniteTimeSpan), 10_000, 1 << 24, NullLogger.Instance);

    private string Publish(string room)
    {
        Assert.Equal(RoomOutcome.Ok, _rooms.Publish(null, room, "e", Payload, self: false, ack: false, reference: null, out var offset));
        return offset!;
    }

    [Fact]
    public void Messages_age_out_and_idle_rooms_are_dropped()
    {
        var first = Publish("lobby");
        Publish("lobby");
        Assert.Equal(1, _rooms.RoomCount);

        var listener = Connection();
        Assert.Equal(RoomOutcome.Ok, _rooms.Subscribe(new NativeRoomMember(listener, "lobby"), first));
        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(RoomOutcome.HistoryGone, _rooms.Subscribe(new NativeRoomMember(listener, "lobby"), first));

        _rooms.Sweep();
        Assert.Equal(1, _rooms.RoomCount);
        Assert.Equal(RoomOutcome.Ok, _rooms.Unsubscribe(listener, "lobby"));
        Assert.Equal(0, _rooms.RoomCount);
        Assert.Equal(0, _rooms.ConnectionCount);
    }

    [Fact]
    public void A_room_created_again_does_not_accept_offsets_of_its_earlier_life()
    {
        var first = Publish("lobby");
        Publish("lobby");
        _time.Advance(TimeSpan.FromMinutes(6));
        _rooms.Sweep();
        Assert.Equal(0, _rooms.RoomCount);

        Assert.Equal(RoomOutcome.HistoryGone, _rooms.Subscribe(new NativeRoomMember(Connection(), "lobby"), first));
        var last = Publish("other");
        Assert.Equal(RoomOutcome.Ok, _rooms.Subscribe(new NativeRoomMember(Connection(), "lobby"), last));
    }

    [Fact]
    public void Offsets_strictly_increase_per_room_and_are_never_reused()
    {
        var seen = new HashSet<string>();
        var previous = new Dictionary<string, string>();
        for (var i = 0; i < 200; i++)
        {
            var room = "r" + (i % 3);
            var offset = Publish(room);
            Assert.True(seen.Add(offset));
            if (previous.TryGetValue(room, out var before))
                Assert.True(string.CompareOrdinal(offset, before) > 0);
            previous[room] = offset;
            if (i % 50 == 49)
            {
                _time.Advance(TimeSpan.FromMinutes(6));
                _rooms.Sweep();
            }
        }
    }

    [Fact]
    public void A_closed_connection_leaves_nothing_behind()
    {
        var connection = Connection();
        var other = Connection();
        Assert.Equal(RoomOutcome.Ok, _rooms.Subscribe(new NativeRoomMember(connection, "a"), since: null));
        Assert.Equal(RoomOutcome.Ok, _rooms.Subscribe(new NativeRoomMember(connection, "b"), since: null));
        Assert.Equal(RoomOutcome.Ok, _rooms.Subscribe(new NativeRoomMember(other, "b"), since: null));
        Assert.Equal(RoomOutcome.Ok, _rooms.Track(connection, "a", "k", Payload));
        Assert.Equal(RoomOutcome.Ok, _rooms.Track(connection, "b", "k", Payload));
        Assert.Equal(2, _rooms.RoomCount);
        Assert.Equal(2, _rooms.ConnectionCount);

        _rooms.RemoveAll(connection);
        Assert.Equal(1, _rooms.RoomCount);
        Assert.Equal(1, _rooms.ConnectionCount);
        Assert.Equal(RoomOutcome.NotSubscribed, _rooms.Track(connection, "b", "k", Payload));
        _rooms.RemoveAll(other);
        Assert.Equal(0, _rooms.RoomCount);
        Assert.Equal(0, _rooms.ConnectionCount);
    }

    [Fact]
    public void Connections_publish_and_track_only_where_subscribed()
    {
        var connection = Connection();
        Assert.Equal(RoomOutcome.NotSubscribed, _rooms.Publish(connection, "a", "e", Payload, false, false, null, out _));
        Assert.Equal(RoomOutcome.NotSubscribed, _rooms.Track(connection, "a", "k", Payload));
        Assert.Equal(RoomOutcome.NotSubscribed, _rooms.Unsubscribe(connection, "a"));
        Assert.Equal(0, _rooms.RoomCount);
        Assert.Equal(RoomOutcome.InvalidOffset, _rooms.Subscribe(new NativeRoomMember(connection, "a"), "nope"));
        Assert.Equal(RoomOutcome.OtherEpoch, _rooms.Subscribe(new NativeRoomMember(connection, "a"), RoomOffset.Format(_rooms.Epoch == "00000000" ? "00000001" : "00000000", 0)));
        Assert.Equal(RoomOutcome.UnknownOffset, _rooms.Subscribe(new NativeRoomMember(connection, "a"), RoomOffset.Format(_rooms.Epoch, 99)));
        Assert.Equal(0, _rooms.RoomCount);
    }

    [Fact]
    public async Task A_paused_connection_gets_the_messages_of_the_pause_after_reauthorization()
    {
        var wire = new MemoryStream();
        var connection = new ClientConnection(WebSocket.CreateFromStream(wire, isServer: true, null, Timeout.InfiniteTimeSpan), 10_000, 1 << 24, NullLogger.Instance);
        var identity = new Sluice.Server.Auth.ConnectionIdentity("authenticated", "{}", "u", DateTimeOffset.UtcNow.AddHours(1));
        var publisher = Connection();
        Assert.Equal(RoomOutcome.Ok, _rooms.Subscribe(new NativeRoomMember(connection, "a"), since: null));
        Assert.Equal(RoomOutcome.Ok, _rooms.Subscribe(new NativeRoomMember(publisher, "a"), since: null));
        _rooms.Publish(publisher, "a", "before", Payload, false, false, null, out _);

        _rooms.PauseDelivery(connection);
        _rooms.Publish(publisher, "a", "during", Payload, false, false, null, out _);
        Assert.Equal(RoomOutcome.Ok, _rooms.Track(publisher, "a", "p", Payload));
        // A subscribe racing with the expiry is answered, and continues after the refresh too.
        Assert.Equal(RoomOutcome.Ok, _rooms.Subscribe(new NativeRoomMember(connection, "b"), since: null));
        _rooms.Publish(null, "b", "during-b", Payload, false, false, null, out _);
        _rooms.Reauthorize(connection, identity);
        _rooms.Publish(publisher, "a", "after", Payload, false, false, null, out _);

        connection.Close((int)WebSocketCloseStatus.NormalClosure, "done", sendQueued: true);
        await connection.Finished;
        var client = WebSocket.CreateFromStream(new MemoryStream(wire.ToArray()), isServer: false, null, Timeout.InfiniteTimeSpan);
        var frames = new List<string>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await client.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
                break;
            using var frame = System.Text.Json.JsonDocument.Parse(buffer.AsMemory(0, result.Count));
            var root = frame.RootElement;
            var type = root.GetProperty("type").GetString()!;
            frames.Add(root.TryGetProperty("event", out var name) ? type + ":" + name.GetString() : type + ":" + root.GetProperty("channel").GetString());
        }
        // The order of rooms after the refresh follows the connection's set; compare per room.
        Assert.Equal(["ack:room:a", "presence_state:room:a", "broadcast:before", "ack:room:b", "presence_state:room:b"], frames[..5]);
        var afterRefresh = frames[5..];
        Assert.Equal("broadcast:after", afterRefresh[^1]);
        Assert.Equal(["presence_state:room:a", "broadcast:during"], afterRefresh.SkipWhile(f => f != "presence_state:room:a").Take(2));
        Assert.Equal(["presence_state:room:b", "broadcast:during-b"], afterRefresh.SkipWhile(f => f != "presence_state:room:b").Take(2));
        Assert.Equal(5, afterRefresh.Count);
    }

    public void Dispose() => _rooms.Dispose();

    /// <summary>A clock the test moves; its timers never fire (the test sweeps by hand).</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NeverTimer();

        private sealed class NeverTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
