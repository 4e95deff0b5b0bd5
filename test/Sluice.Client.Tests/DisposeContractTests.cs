using System.Text.Json;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

/// <summary>
/// The synchronous <c>Dispose()</c> contract of subscriptions, rooms and live tables: once it returns no handler call
/// begins (a call already running finishes; the next handler and the next item are not delivered), and the unsubscribe is
/// sent in the background. Each test holds a handler on the dispatcher, disposes from another thread, lets the handler go
/// and then waits for the dispatcher to end, so a call begun after Dispose returned would be seen.
/// </summary>
public sealed class DisposeContractTests
{
    private const string Channel = Frames.Products;

    public sealed record Item(long Id, int Version);

    [Fact]
    public async Task After_a_subscriptions_Dispose_returns_neither_the_next_handler_nor_the_next_change_is_called()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var subscription = client.Table("public", "products");
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new Recorder<string>();
        var second = new Recorder<string>();
        subscription.OnChange(change =>
        {
            first.Add(change.Offset);
            entered.TrySetResult();
            release.Wait(FakeServer.Patience);
        });
        subscription.OnChange(change => second.Add(change.Offset));
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1, version = 0 }));
        await connection.SendAsync(Frames.Insert(Channel, 2, new { id = 2, version = 0 }));
        await entered.Task.WaitAsync(FakeServer.Patience);
        await TestClients.EventuallyAsync(() => subscription.LastOffset == Frames.Offset(2), "the second change buffered");

        subscription.Dispose();
        release.Set();
        await subscription.State.Dispatcher.WaitAsync(FakeServer.Patience);

        Assert.Equal([Frames.Offset(1)], first.Items);
        Assert.Empty(second.Items);
        // The unsubscribe goes out in the background.
        var unsubscribe = await connection.ReceiveAsync();
        Assert.Equal("unsubscribe", (string?)unsubscribe["type"]);
        Assert.Equal(Channel, (string?)unsubscribe["channel"]);
    }

    [Fact]
    public async Task After_a_subscriptions_Dispose_returns_its_change_stream_yields_nothing_more()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var subscription = client.Table("public", "products");
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = new Recorder<string>();
        var reader = TestClients.ReadAllAsync(subscription.ReadChangesAsync<JsonElement>(), change =>
        {
            read.Add(change.Offset);
            entered.TrySetResult();
            release.Wait(FakeServer.Patience);
        });
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        for (var i = 1; i <= 3; i++)
            await connection.SendAsync(Frames.Insert(Channel, i, new { id = i, version = 0 }));
        await entered.Task.WaitAsync(FakeServer.Patience);
        // Changes 2 and 3 left the channel's buffer for the stream's own.
        await TestClients.EventuallyAsync(() => subscription.LastOffset == Frames.Offset(3) && subscription.State.Buffer.Reader.Count == 0,
            "the later changes handed to the stream");

        subscription.Dispose();
        release.Set();
        await reader.WaitAsync(FakeServer.Patience);

        Assert.Equal([Frames.Offset(1)], read.Items);
    }

    [Fact]
    public async Task After_a_live_tables_Dispose_returns_no_further_Changed_handler_is_called()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var table = client.LiveTable<long, Item>("public", "products", item => item.Id);
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new Recorder<LiveTableChangeReason>();
        var second = new Recorder<LiveTableChangeReason>();
        table.Changed += (_, e) =>
        {
            first.Add(e.Reason);
            if (e.Reason != LiveTableChangeReason.Transaction)
                return;
            entered.TrySetResult();
            release.Wait(FakeServer.Patience);
        };
        table.Changed += (_, e) => second.Add(e.Reason);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [], last: true, offset: Frames.Offset(1)));
        await connection.SendAsync(Frames.Insert(Channel, 2, new { id = 1, version = 0 }));
        await connection.SendAsync(Frames.Insert(Channel, 3, new { id = 2, version = 0 }));
        await entered.Task.WaitAsync(FakeServer.Patience);

        table.Dispose();
        release.Set();
        await table.State.Dispatcher.WaitAsync(FakeServer.Patience);

        Assert.Equal([LiveTableChangeReason.Snapshot, LiveTableChangeReason.Transaction], first.Items);
        Assert.Equal([LiveTableChangeReason.Snapshot], second.Items);
        var unsubscribe = await connection.ReceiveAsync();
        Assert.Equal("unsubscribe", (string?)unsubscribe["type"]);
    }

    [Fact]
    public async Task After_a_rooms_Dispose_returns_no_further_message_handler_is_called()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var room = client.Room("lobby");
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new Recorder<string>();
        var second = new Recorder<string>();
        room.OnMessage(message =>
        {
            first.Add(message.Offset);
            entered.TrySetResult();
            release.Wait(FakeServer.Patience);
        });
        room.OnMessage(message => second.Add(message.Offset));
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(RoomFrames.Ack(RoomFrames.Lobby, RoomFrames.Offset(0)));
        await connection.SendAsync(RoomFrames.Message(RoomFrames.Lobby, 1, "chat", "one"));
        await connection.SendAsync(RoomFrames.Message(RoomFrames.Lobby, 2, "chat", "two"));
        await entered.Task.WaitAsync(FakeServer.Patience);

        room.Dispose();
        release.Set();
        await room.State.Dispatcher.WaitAsync(FakeServer.Patience);

        Assert.Equal([RoomFrames.Offset(1)], first.Items);
        Assert.Empty(second.Items);
    }

    [Fact]
    public async Task DisposeAsync_waits_for_a_running_handler_but_not_when_called_from_that_handler()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var outside = client.Table("public", "products");
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        outside.OnChange(_ =>
        {
            entered.TrySetResult();
            release.Wait(FakeServer.Patience);
        });
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1, version = 0 }));
        await entered.Task.WaitAsync(FakeServer.Patience);

        var disposing = outside.DisposeAsync().AsTask();
        // The unsubscribe is sent at once; the dispose completes only once the handler returned. (The grace only gives a
        // wrong, non-waiting dispose the time to show itself; a right one cannot complete in it.)
        Assert.Equal("unsubscribe", (string?)(await connection.ReceiveAsync())["type"]);
        await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromMilliseconds(200)));
        Assert.False(disposing.IsCompleted, "DisposeAsync completed while a handler was running");
        release.Set();
        await disposing.WaitAsync(FakeServer.Patience);

        // From inside its own handler DisposeAsync does not wait for itself.
        var inside = client.Table("public", "products");
        var disposedInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        inside.OnChange(async _ =>
        {
            await inside.DisposeAsync();
            disposedInside.TrySetResult();
        });
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Insert(Channel, 2, new { id = 2, version = 0 }));
        await disposedInside.Task.WaitAsync(FakeServer.Patience);
        Assert.Equal("unsubscribe", (string?)(await connection.ReceiveAsync())["type"]);
    }
}
