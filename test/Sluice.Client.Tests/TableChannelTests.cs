using System.Text.Json;
using Sluice.Client.Tests.Fakes;
using Sluice.Protocol;

namespace Sluice.Client.Tests;

public sealed class TableChannelTests
{
    private const string Channel = Frames.Products;

    [Fact]
    public async Task Typed_handlers_receive_inserts_updates_and_deletes()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var products = client.Table("public", "products", filter: "price=gt.10", events: ChangeEvents.Insert | ChangeEvents.Update | ChangeEvents.Delete);
        var seen = new Recorder<string>();
        products.OnInsert<Product>(p => seen.Add($"insert {p.Id} {p.Name} {p.Price}"));
        products.OnUpdate<Product>((updated, old) => seen.Add($"update {old.Name}->{updated.Name}"));
        products.OnDelete<Product>(p => seen.Add($"delete {p.Id}"));
        products.OnChange(change => seen.Add($"change {change.Kind} {change.Offset} {change.IsTransactionEnd}"));
        await client.StartAsync();

        var connection = await server.NextConnectionAsync();
        var subscribe = await connection.ReceiveSubscribeAsync();
        Assert.Equal(Channel, (string?)subscribe["channel"]);
        Assert.Equal("price=gt.10", (string?)subscribe["filter"]);
        Assert.Equal(["INSERT", "UPDATE", "DELETE"], subscribe["events"]!.AsArray().Select(e => (string?)e));
        Assert.Null(subscribe["since"]);
        Assert.Null(subscribe["snapshot"]);

        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1, name = "Lamp", price = 99.5 }));
        await connection.SendAsync(Frames.Update(Channel, 2, new { id = 1, name = "Desk lamp", price = 99.5 }, new { id = 1, name = "Lamp", price = 99.5 }));
        await connection.SendAsync(Frames.Delete(Channel, 3, new { id = 1, name = "Desk lamp", price = 99.5 }));
        await seen.WaitForCountAsync(6, "three changes, each seen twice");

        Assert.Equal(
            [
                "insert 1 Lamp 99.5", $"change Insert {Frames.Offset(1)} True",
                "update Lamp->Desk lamp", $"change Update {Frames.Offset(2)} True",
                "delete 1", $"change Delete {Frames.Offset(3)} True",
            ],
            seen.Items);
        Assert.Equal(Frames.Offset(3), products.LastOffset);
    }

    [Fact]
    public async Task After_a_reconnect_every_channel_resubscribes_with_its_last_offset()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var products = client.Table("public", "products");
        var orders = client.Table("public", "orders");
        var received = new Recorder<string>();
        products.OnChange(change => received.Add(change.Offset));
        await client.StartAsync();

        var first = await server.NextConnectionAsync();
        var subscribes = new[] { await first.ReceiveSubscribeAsync(), await first.ReceiveSubscribeAsync() };
        foreach (var subscribe in subscribes)
        {
            // The orders ack says where that live subscription starts; the products ack is an older server's, without.
            var channel = (string)subscribe["channel"]!;
            if (channel == Channel)
                await first.AckAsync(channel);
            else
                await first.SendAsync(new { type = "ack", channel, offset = Frames.Offset(5) });
        }
        await first.SendAsync(Frames.Insert(Channel, 7, new { id = 7 }));
        await received.WaitForCountAsync(1, "the change");
        first.Abort();

        var second = await server.NextConnectionAsync();
        var resubscribes = new[] { await second.ReceiveSubscribeAsync(), await second.ReceiveSubscribeAsync() }
            .ToDictionary(frame => (string)frame["channel"]!);
        Assert.Equal(Frames.Offset(7), (string?)resubscribes[Channel]["since"]);
        // A channel that has not seen a change yet resumes from where its ack said it started.
        Assert.Equal(Frames.Offset(5), (string?)resubscribes["table:public.orders"]["since"]);
        Assert.Equal("table:public.orders", orders.Channel);
    }

    [Fact]
    public async Task A_resume_asks_for_a_batched_catch_up_and_each_change_of_a_changes_frame_arrives_in_order()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var products = client.Table("public", "products");
        var received = new Recorder<string>();
        products.OnChange(change => received.Add($"{change.Kind} {change.Offset} {change.IsTransactionEnd}"));
        await client.StartAsync();

        var first = await server.NextConnectionAsync();
        Assert.Null((await first.ReceiveSubscribeAsync())["batch_catch_up"]); // a live subscription replays nothing
        await first.AckAsync(Channel);
        await first.SendAsync(Frames.Insert(Channel, 1, new { id = 1 }));
        await received.WaitForCountAsync(1, "the live change");
        first.Abort();

        var second = await server.NextConnectionAsync();
        var resume = await second.ReceiveSubscribeAsync();
        Assert.Equal((Frames.Offset(1), true), ((string?)resume["since"], (bool?)resume["batch_catch_up"]));
        await second.AckAsync(Channel);
        string[] replayed =
        [
            Frames.Insert(Channel, 2, new { id = 2 }, txEnd: false),
            Frames.Update(Channel, 3, new { id = 2 }, new { id = 2 }),
            Frames.Delete(Channel, 4, new { id = 1 }),
        ];
        await second.SendAsync("{\"type\":\"changes\",\"channel\":\"" + Channel + "\",\"changes\":[" + string.Join(",", replayed) + "]}");
        await second.SendAsync(Frames.Insert(Channel, 5, new { id = 5 }));
        await received.WaitForCountAsync(5, "the replayed changes and the live one");
        Assert.Equal(
            [
                $"Insert {Frames.Offset(1)} True", $"Insert {Frames.Offset(2)} False", $"Update {Frames.Offset(3)} True",
                $"Delete {Frames.Offset(4)} True", $"Insert {Frames.Offset(5)} True",
            ],
            received.Items);

        // The resume point moved through the batch to the live change.
        second.Abort();
        var third = await server.NextConnectionAsync();
        Assert.Equal(Frames.Offset(5), (string?)(await third.ReceiveSubscribeAsync())["since"]);
    }

    [Fact]
    public async Task Resync_required_starts_over_with_a_snapshot_delivered_to_snapshot_handlers()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var products = client.Table("public", "products");
        var snapshots = new Recorder<IReadOnlyList<Product>>();
        var changes = new Recorder<string>();
        products.OnSnapshot<Product>(snapshots.Add);
        products.OnChange(change => changes.Add(change.Offset));
        await client.StartAsync();

        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Resync(Channel));

        var again = await connection.ReceiveSubscribeAsync();
        Assert.True((bool?)again["snapshot"]);
        Assert.Null(again["since"]);
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [new { id = 1, name = "a" }], last: false, offset: null));
        await connection.SendAsync(Frames.Snapshot(Channel, [new { id = 2, name = "b" }], last: true, offset: Frames.Offset(40)));
        await connection.SendAsync(Frames.Insert(Channel, 41, new { id = 3, name = "c" }));
        await changes.WaitForCountAsync(1, "the change after the snapshot");

        Assert.Equal([1L, 2L], snapshots.Items.Single().Select(p => p.Id));
        Assert.Equal([Frames.Offset(41)], changes.Items);
    }

    [Fact]
    public async Task Channel_errors_are_reported_with_the_server_code_and_do_not_stop_the_connection()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        client.Table("public", "nope");
        var products = client.Table("public", "products");
        var received = new Recorder<long>();
        products.OnInsert<Product>(p => received.Add(p.Id));
        await client.StartAsync();

        var connection = await server.NextConnectionAsync();
        for (var i = 0; i < 2; i++)
        {
            var subscribe = await connection.ReceiveSubscribeAsync();
            var channel = (string)subscribe["channel"]!;
            if (channel == Channel)
                await connection.AckAsync(channel);
            else
                await connection.SendAsync(Frames.Error(channel, ErrorCodes.TableNotFound, "table public.nope does not exist"));
        }
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1, name = "a" }));
        await received.WaitForCountAsync(1, "the change on the healthy channel");
        await errors.WaitForCountAsync(1, "the error");

        var error = errors.Items.Single();
        Assert.Equal(ErrorCodes.TableNotFound, error.Code);
        Assert.Equal("table:public.nope", error.Channel);
        Assert.Equal(ConnectionState.Connected, client.State);

        // The failed channel is tried again on the next connection.
        connection.Abort();
        var next = await server.NextConnectionAsync();
        var channels = new[] { await next.ReceiveSubscribeAsync(), await next.ReceiveSubscribeAsync() }.Select(f => (string)f["channel"]!);
        Assert.Contains("table:public.nope", channels);
    }

    [Fact]
    public async Task A_database_unavailable_refusal_is_retried_on_the_same_connection()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        client.Table("public", "products");
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync(Frames.Error(Channel, ErrorCodes.DatabaseUnavailable, "try again"));
        var retry = await connection.ReceiveSubscribeAsync();
        Assert.Equal(Channel, (string?)retry["channel"]);
    }

    [Fact]
    public async Task A_throwing_handler_is_reported_and_the_next_change_is_still_delivered()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        var products = client.Table("public", "products");
        var delivered = new Recorder<long>();
        products.OnInsert<Product>(p =>
        {
            if (p.Id == 1)
                throw new InvalidOperationException("boom");
            delivered.Add(p.Id);
        });
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1, name = "a" }));
        await connection.SendAsync(Frames.Insert(Channel, 2, new { id = 2, name = "b" }));

        await delivered.WaitForCountAsync(1, "the second change");
        await errors.WaitForCountAsync(1, "the handler error");
        Assert.Equal(ClientErrorCodes.HandlerFailed, errors.Items[0].Code);
        Assert.IsType<InvalidOperationException>(errors.Items[0].Exception);
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task A_blocked_handler_does_not_hold_up_other_channels_or_the_socket()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        using var gate = new SemaphoreSlim(0);
        var slow = client.Table("public", "products");
        slow.OnChange(async _ => await gate.WaitAsync());
        var fast = client.Table("public", "orders");
        var fastSeen = new Recorder<string>();
        fast.OnChange(change => fastSeen.Add(change.Offset));
        await client.StartAsync();

        var connection = await server.NextConnectionAsync();
        for (var i = 0; i < 2; i++)
            await connection.AckAsync((string)(await connection.ReceiveSubscribeAsync())["channel"]!);
        for (var i = 1; i <= 5; i++)
            await connection.SendAsync(Frames.Insert(Channel, i, new { id = i }));
        for (var i = 1; i <= 5; i++)
            await connection.SendAsync(Frames.Insert("table:public.orders", 100 + i, new { id = i }));

        await fastSeen.WaitForCountAsync(5, "the other channel's changes while the first handler is blocked");
        gate.Release(5);
        await TestClients.EventuallyAsync(() => slow.LastOffset == Frames.Offset(5), "the blocked channel's changes were all received");
    }

    [Fact]
    public async Task A_full_buffer_pauses_the_channel_and_resumes_from_the_last_buffered_offset_without_loss()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server, options => options.ChannelBufferCapacity = 4);
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        using var gate = new SemaphoreSlim(0);
        var products = client.Table("public", "products");
        var handled = new Recorder<string>();
        products.OnChange(async change =>
        {
            await gate.WaitAsync();
            handled.Add(change.Offset);
        });
        var log = new ScriptedLog(Channel);
        for (var i = 1; i <= 50; i++)
            log.Insert(i, new { id = i });
        await client.StartAsync();

        // The server sends all 50 changes at once: the buffer holds 4, the rest overflow while the handler is blocked.
        var serving = log.ServeAsync(await server.NextConnectionAsync());
        await errors.WaitForAsync(e => e.Any(x => x.Code == ClientErrorCodes.BufferOverflow), "the overflow report");
        gate.Release(1000);

        await handled.WaitForCountAsync(50, "every change");
        Assert.Equal(Enumerable.Range(1, 50).Select(Frames.Offset), handled.Items);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Changes_can_be_read_as_an_async_stream_until_the_subscription_is_disposed()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var products = client.Table("public", "products");
        var read = new List<Change<Product>>();
        var reading = TestClients.ReadAllAsync(products.ReadChangesAsync<Product>(), change => read.Add(change));
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1, name = "a" }));
        await connection.SendAsync(Frames.Delete(Channel, 2, new { id = 1, name = "a" }));
        await TestClients.EventuallyAsync(() => Volatile.Read(ref read).Count >= 2 || reading.IsCompleted, "two changes streamed");

        await products.DisposeAsync();
        await reading.WaitAsync(FakeServer.Patience);
        Assert.Equal([ChangeKind.Insert, ChangeKind.Delete], read.Select(c => c.Kind));
        Assert.Equal("a", read[1].OldRecord!.Name);

        var unsubscribe = await connection.ReceiveAsync();
        Assert.Equal("unsubscribe", (string?)unsubscribe["type"]);
    }

    [Fact]
    public async Task After_unsubscribing_no_handler_runs_and_the_channel_can_be_subscribed_again()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var products = client.Table("public", "products");
        var seen = new Recorder<string>();
        products.OnChange(change => seen.Add(change.Offset));
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await products.UnsubscribeAsync();
        Assert.Equal("unsubscribe", (string?)(await connection.ReceiveAsync())["type"]);
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1 }));

        var again = client.Table("public", "products");
        var seenAgain = new Recorder<string>();
        again.OnChange(change => seenAgain.Add(change.Offset));
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Insert(Channel, 2, new { id = 2 }));
        await seenAgain.WaitForCountAsync(1, "the change on the new subscription");

        Assert.Equal([Frames.Offset(2)], seenAgain.Items);
        Assert.Empty(seen.Items);
    }

    [Fact]
    public async Task Untyped_changes_expose_the_rows_as_json()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var products = client.Table("public", "products");
        var seen = new Recorder<Change<JsonElement>>();
        products.OnChange(seen.Add);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Insert(Channel, 1, new { id = 1, tags = new[] { "x" } }));
        await seen.WaitForCountAsync(1, "the change");
        var change = seen.Items[0];
        Assert.Equal("x", change.Record.GetProperty("tags")[0].GetString());
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 12, 0, 0, 123, 456, TimeSpan.Zero), change.CommitTimestamp);
    }
}
