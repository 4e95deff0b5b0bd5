using System.Net.WebSockets;
using System.Text;
using CsCheck;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sluice.Server.Connections;
using Sluice.Server.Routing;

namespace Sluice.Tests.Connections;

/// <summary>
/// The connection's send side: frames queued in a <see cref="DeliveryRound"/> wake the connection's drainer once, when the
/// round ends, and go out in one write (except for the round's first idle connections, woken at once); outside a round,
/// or once the queue is long, a drainer is woken at once; however the drainer is woken, every frame reaches the socket
/// once and in the order it was queued.
/// </summary>
/// <remarks>
/// Each connection's close grace period runs on a <see cref="FakeTimeProvider"/> that only these tests advance: on a busy
/// machine the drainer may wait seconds for a thread, and the close frame must not depend on getting one in time.
/// </remarks>
public sealed class DeliveryRoundTests
{
    private static (ClientConnection Connection, TestTransport Wire) Connect(int maxFrames = 10_000, bool blockWrites = false, FakeTimeProvider? time = null)
    {
        var wire = new TestTransport(blockWrites);
        var transport = new CoalescingStream(wire);
        var socket = WebSocket.CreateFromStream(transport, isServer: true, null, Timeout.InfiniteTimeSpan);
        var connection = new ClientConnection(socket, maxFrames, 1 << 24, NullLogger.Instance, transport) { Time = time ?? new FakeTimeProvider() };
        return (connection, wire);
    }

    private static byte[] Frame(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void A_round_wakes_its_first_idle_connections_at_once_and_holds_the_others_until_it_ends()
    {
        var connections = Enumerable.Range(0, DeliveryRound.ImmediateWakeUps + 1).Select(_ => Connect()).ToList();
        var (last, lastWire) = connections[^1];
        DeliveryRound.Begin();
        try
        {
            foreach (var (connection, _) in connections)
                Assert.True(connection.TryEnqueue(Frame("a")));
            // The first ones were idle: their frames go out while the round is still open.
            foreach (var (_, wire) in connections.SkipLast(1))
                Assert.True(SpinWait.SpinUntil(() => wire.Writes > 0, TimeSpan.FromSeconds(30)));
            Assert.True(last.TryEnqueue(Frame("b")));
            Assert.True(last.TryEnqueue(Frame("c")));
            // Beyond them nothing wakes a drainer while the round is open.
            Assert.Equal(0, lastWire.Writes);
        }
        finally
        {
            DeliveryRound.End();
        }

        Assert.True(SpinWait.SpinUntil(() => lastWire.Writes > 0, TimeSpan.FromSeconds(30)));
        Assert.Equal(["a", "b", "c"], Frames(lastWire.Bytes()));
        Assert.Equal(1, lastWire.Writes);
    }

    [Fact]
    public void A_long_queue_is_not_held_by_a_round()
    {
        var (connection, wire) = Connect(maxFrames: 8);
        var others = Enumerable.Range(0, DeliveryRound.ImmediateWakeUps).Select(_ => Connect().Connection).ToList();
        DeliveryRound.Begin();
        try
        {
            // The round's immediate wake-ups go to others, so this connection's frames are held: a quarter of the limit
            // may wait for the round's end; beyond that the queue is drained at once.
            foreach (var other in others)
                Assert.True(other.TryEnqueue(Frame("x")));
            for (var i = 0; i < 3; i++)
                Assert.True(connection.TryEnqueue(Frame($"f{i}")));
            Assert.True(SpinWait.SpinUntil(() => wire.Writes > 0, TimeSpan.FromSeconds(30)));
        }
        finally
        {
            DeliveryRound.End();
        }
        Assert.True(SpinWait.SpinUntil(() => Frames(wire.Bytes()).Count == 3, TimeSpan.FromSeconds(30)));
        Assert.Equal(["f0", "f1", "f2"], Frames(wire.Bytes()));
    }

    [Fact]
    public async Task A_client_that_does_not_read_holds_up_only_its_own_sends()
    {
        var (stuck, blocked) = Connect(blockWrites: true);
        var (reader, wire) = Connect();
        DeliveryRound.Begin();
        try
        {
            Assert.True(stuck.TryEnqueue(Frame("a")));
            Assert.True(reader.TryEnqueue(Frame("a")));
        }
        finally
        {
            DeliveryRound.End();
        }

        // The reading client gets its frame while the other's write has not completed.
        Assert.True(SpinWait.SpinUntil(() => Frames(wire.Bytes()).Count == 1, TimeSpan.FromSeconds(30)));
        Assert.True(SpinWait.SpinUntil(() => blocked.WriteStarted, TimeSpan.FromSeconds(30)));
        Assert.True(stuck.IsSendStalled(TimeSpan.Zero));

        // Queued while the drainer waits on its last write (it has already found the queue empty): once the client reads
        // again, the drainer must look again before it lets go, or "b" would wait for a frame that may never come.
        Assert.True(stuck.TryEnqueue(Frame("b")));
        blocked.Release();
        Assert.True(SpinWait.SpinUntil(() => Frames(blocked.Bytes()).Count == 2, TimeSpan.FromSeconds(30)));
        Assert.Equal(["a", "b"], Frames(blocked.Bytes()));

        stuck.Close((int)WebSocketCloseStatus.NormalClosure, "done", sendQueued: true);
        await stuck.Finished.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["a", "b"], Frames(blocked.Bytes(), expectClose: true));
    }

    [Fact]
    public async Task A_client_that_does_not_read_is_cut_off_once_the_close_grace_period_is_over()
    {
        var time = new FakeTimeProvider();
        var (stuck, blocked) = Connect(blockWrites: true, time: time);
        Assert.True(stuck.TryEnqueue(Frame("a")));
        Assert.True(SpinWait.SpinUntil(() => blocked.WriteStarted, TimeSpan.FromSeconds(30)));

        stuck.Close((int)WebSocketCloseStatus.NormalClosure, "done", sendQueued: true);
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.False(stuck.Finished.IsCompleted);

        // Two seconds after closing started, the write that never completed is given up and the transport cut:
        // no close frame, and the connection has finished.
        time.Advance(TimeSpan.FromSeconds(1));
        await stuck.Finished.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(Frames(blocked.Bytes()));
        Assert.Throws<WebSocketException>(() => Frames(blocked.Bytes(), expectClose: true));
    }

    [Fact]
    public void Frames_of_concurrent_producers_arrive_once_and_in_order_whoever_sends_them()
    {
        // Each producer queues its frames, some inside rounds of random length, while the others do the same on other
        // threads; however the drainer is woken (a round's end, a frame outside a round), each producer's frames arrive
        // exactly once and in its order, and the close frame comes after all of them.
        var producer = Gen.Int[1, 40].Array[1, 30];
        Gen.Select(producer, producer, producer).Sample((a, b, c) =>
        {
            var (connection, wire) = Connect();
            int[][] plans = [a, b, c];
            using var start = new Barrier(plans.Length);
            var threads = plans.Select((plan, p) => new Thread(() =>
            {
                start.SignalAndWait();
                var n = 0;
                foreach (var roundLength in plan)
                {
                    var inRound = roundLength % 2 == 0;
                    if (inRound)
                        DeliveryRound.Begin();
                    try
                    {
                        for (var i = 0; i < roundLength; i++)
                            Assert.True(connection.TryEnqueue(Frame($"{p}:{n++}")));
                    }
                    finally
                    {
                        if (inRound)
                            DeliveryRound.End();
                    }
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            // Everything arrives without a further frame or the close to push it out (nothing is stranded in the queue).
            var total = plans.Sum(plan => plan.Sum());
            Assert.True(SpinWait.SpinUntil(() => Frames(wire.Bytes()).Count == total, TimeSpan.FromSeconds(10)));
            connection.Close((int)WebSocketCloseStatus.NormalClosure, "done", sendQueued: true);
            Assert.True(connection.Finished.Wait(TimeSpan.FromSeconds(30)));

            var frames = Frames(wire.Bytes(), expectClose: true);
            for (var p = 0; p < plans.Length; p++)
            {
                var expected = Enumerable.Range(0, plans[p].Sum()).Select(i => $"{p}:{i}");
                Assert.Equal(expected, frames.Where(f => f.StartsWith($"{p}:", StringComparison.Ordinal)));
            }
            Assert.Equal(total, frames.Count);
        }, iter: 100);
    }

    /// <summary>The text messages written to <paramref name="bytes"/>, read as a client would; with <paramref name="expectClose"/>, a close frame must end them.</summary>
    private static List<string> Frames(byte[] bytes, bool expectClose = false)
    {
        var client = WebSocket.CreateFromStream(new MemoryStream(bytes), isServer: false, null, Timeout.InfiniteTimeSpan);
        var frames = new List<string>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = client.ReceiveAsync(buffer, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (WebSocketException) when (!expectClose)
            {
                return frames; // the end of what was written so far
            }
            if (result.MessageType == WebSocketMessageType.Close)
                return frames;
            Assert.True(result.EndOfMessage);
            frames.Add(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
    }

    /// <summary>
    /// The connection's transport: records what is written and counts the writes; with <c>blockWrites</c> every write waits
    /// until <see cref="Release"/>, like a socket whose client does not read.
    /// </summary>
    private sealed class TestTransport(bool blockWrites) : Stream
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly MemoryStream _written = new();
        private int _writes;
        private volatile bool _writeStarted;

        public int Writes => Volatile.Read(ref _writes);

        public bool WriteStarted => _writeStarted;

        public void Release() => _released.TrySetResult();

        public byte[] Bytes()
        {
            lock (_written)
                return _written.ToArray();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _writeStarted = true;
            if (blockWrites)
                await _released.Task.WaitAsync(cancellationToken);
            lock (_written)
                _written.Write(buffer.Span);
            Interlocked.Increment(ref _writes);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush()
        {
        }
        public override int Read(byte[] buffer, int offset, int count) => 0;
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
