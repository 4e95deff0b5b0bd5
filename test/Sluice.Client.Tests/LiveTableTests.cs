using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

public sealed class LiveTableTests
{
    private const string Channel = Frames.Products;

    public sealed record Item(long Id, int Version);

    [Fact]
    public async Task Starts_from_a_snapshot_and_applies_each_transaction_as_one_step()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var table = client.LiveTable<long, Item>("public", "products", item => item.Id);
        var steps = new Recorder<LiveTableChangedEventArgs<long, Item>>();
        table.Changed += (_, e) => steps.Add(e);
        Assert.False(table.IsSynced);
        Assert.Equal(LiveTableMode.Syncing, table.Mode);
        await client.StartAsync();

        var connection = await server.NextConnectionAsync();
        var subscribe = await connection.ReceiveSubscribeAsync();
        Assert.True((bool?)subscribe["snapshot"]);
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [new { id = 1, version = 0 }, new { id = 2, version = 0 }], last: true, offset: Frames.Offset(10)));
        await table.WaitUntilSyncedAsync();
        Assert.Equal(LiveTableMode.Streaming, table.Mode);
        Assert.Equal(2, table.Count);

        await connection.SendAsync(Frames.Update(Channel, 11, new { id = 1, version = 1 }, new { id = 1, version = 0 }, txEnd: false));
        await connection.SendAsync(Frames.Delete(Channel, 12, new { id = 2, version = 0 }, txEnd: false));
        await connection.SendAsync(Frames.Insert(Channel, 13, new { id = 3, version = 0 }, txEnd: true));
        await steps.WaitForCountAsync(2, "snapshot and one transaction");

        var transaction = steps.Items[1];
        Assert.Equal(LiveTableChangeReason.Transaction, transaction.Reason);
        Assert.Equal([ChangeKind.Update, ChangeKind.Delete, ChangeKind.Insert], transaction.Changes.Select(c => c.Kind));
        Assert.Equal(new Dictionary<long, Item> { [1] = new(1, 1), [3] = new(3, 0) }, transaction.Rows);
        Assert.Equal(transaction.Rows, table.Rows);
        Assert.Equal(Frames.Offset(13), table.Offset);
        // The snapshot step showed the rows as they were: a later transaction does not change an earlier view.
        Assert.Equal([1L, 2L], steps.Items[0].Rows.Keys.Order());
    }

    [Fact]
    public async Task Rows_entering_and_leaving_the_subscribers_sight_under_row_level_security_join_and_leave_the_replica()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var table = client.LiveTable<long, Item>("public", "products", item => item.Id);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [new { id = 1, version = 0 }], last: true, offset: Frames.Offset(1)));
        await table.WaitUntilSyncedAsync();

        // An UPDATE that makes row 2 visible comes without old_record (the row as it was stays hidden) ...
        await connection.SendAsync(Frames.Change(Channel, 2, "UPDATE", new { id = 2, version = 1 }, old: null, txEnd: true));
        // ... and one that takes row 1 out of sight comes as a DELETE of the row as it was.
        await connection.SendAsync(Frames.Delete(Channel, 3, new { id = 1, version = 0 }, txEnd: true));
        await TestClients.EventuallyAsync(() => table.Offset == Frames.Offset(3), "both changes applied");

        Assert.Equal(new Dictionary<long, Item> { [2] = new(2, 1) }, table.Rows);
    }

    [Fact]
    public async Task Truncate_empties_the_table_and_resync_brings_a_fresh_snapshot()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var table = client.LiveTable<long, Item>("public", "products", item => item.Id);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [new { id = 1, version = 0 }], last: true, offset: Frames.Offset(1)));
        await connection.SendAsync(Frames.Truncate(Channel, 2));
        await connection.SendAsync(Frames.Insert(Channel, 3, new { id = 5, version = 0 }));
        await TestClients.EventuallyAsync(() => table.Offset == Frames.Offset(3), "the insert after the truncate");
        Assert.Equal([5L], table.Keys);

        await connection.SendAsync(Frames.Resync(Channel));
        var again = await connection.ReceiveSubscribeAsync();
        Assert.True((bool?)again["snapshot"]);
        await TestClients.EventuallyAsync(() => !table.IsSynced, "unsynced during the resync");
        Assert.Equal([5L], table.Keys);
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [new { id = 7, version = 3 }], last: true, offset: "000000e2-0000000000000000-00000001"));
        await table.WaitUntilSyncedAsync();
        Assert.Equal(new Dictionary<long, Item> { [7] = new(7, 3) }, table.Rows);
    }

    [Fact]
    public async Task A_throwing_changed_handler_is_reported_and_the_table_keeps_applying()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        var table = client.LiveTable<long, Item>("public", "products", item => item.Id);
        table.Changed += (_, _) => throw new InvalidOperationException("boom");
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [], last: true, offset: Frames.Offset(1)));
        await connection.SendAsync(Frames.Insert(Channel, 2, new { id = 1, version = 0 }));
        await TestClients.EventuallyAsync(() => table.ContainsKey(1), "the insert applied");
        await errors.WaitForCountAsync(2, "both handler failures");
        Assert.All(errors.Items, e => Assert.Equal(ClientErrorCodes.HandlerFailed, e.Code));
    }

    [Fact]
    public async Task Without_a_websocket_it_refreshes_over_http_and_returns_to_streaming_with_a_fresh_snapshot()
    {
        await using var server = await FakeServer.StartAsync();
        server.RefuseWebSockets = true;
        var rows = new[] { new Item(1, 0) };
        server.Rows = (name, filter) => name == "public.products" && filter == "version=gte.0"
            ? Results.Json(new { schema = "public", table = "products", rows = Volatile.Read(ref rows) })
            : Results.Json(new { error = "no", code = "table_not_found" }, statusCode: 404);
        await using var client = TestClients.Create(server, options =>
        {
            options.FallbackAfter = TimeSpan.FromMilliseconds(100);
            options.FallbackPollInterval = TimeSpan.FromMilliseconds(50);
            // No WebSocket can be made: the start must not wait for one.
            options.StartInBackground = true;
        });
        var table = client.LiveTable<long, Item>("public", "products", item => item.Id, filter: "version=gte.0");
        await client.StartAsync();

        await table.WaitUntilSyncedAsync();
        Assert.Equal(LiveTableMode.Fallback, table.Mode);
        Assert.Equal([1L], table.Keys);
        Volatile.Write(ref rows, [new Item(1, 1), new Item(2, 0)]);
        await TestClients.EventuallyAsync(() => table.Count == 2, "the next poll's rows");
        Assert.Null(table.Offset);

        server.RefuseWebSockets = false;
        var connection = await server.NextConnectionAsync();
        var subscribe = await connection.ReceiveSubscribeAsync();
        Assert.True((bool?)subscribe["snapshot"]);
        Assert.Equal("version=gte.0", (string?)subscribe["filter"]);
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [new { id = 2, version = 1 }], last: true, offset: Frames.Offset(9)));
        await TestClients.EventuallyAsync(() => table.Mode == LiveTableMode.Streaming, "streaming again");
        Assert.Equal(new Dictionary<long, Item> { [2] = new(2, 1) }, table.Rows);

        // Polling stops while the socket is up.
        var polls = Volatile.Read(ref server.RowRequests);
        await connection.SendAsync(Frames.Insert(Channel, 10, new { id = 3, version = 0 }));
        await TestClients.EventuallyAsync(() => table.ContainsKey(3), "the streamed insert");
        Assert.Equal(polls, Volatile.Read(ref server.RowRequests));
    }

    [Fact]
    public async Task Http_refusals_are_reported_with_the_server_code()
    {
        await using var server = await FakeServer.StartAsync();
        server.RefuseWebSockets = true;
        server.Rows = (_, _) => Results.Json(new { error = "filter column nope does not exist", code = "invalid_filter" }, statusCode: 400);
        await using var client = TestClients.Create(server, options =>
        {
            options.FallbackAfter = TimeSpan.FromMilliseconds(50);
            options.FallbackPollInterval = TimeSpan.FromMilliseconds(50);
            options.StartInBackground = true;
        });
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        client.LiveTable<long, Item>("public", "products", item => item.Id, filter: "nope=eq.1");
        await client.StartAsync();
        await errors.WaitForCountAsync(1, "the refusal");
        Assert.Equal("invalid_filter", errors.Items[0].Code);
        var direct = await Assert.ThrowsAsync<SluiceException>(() => client.GetRowsAsync("public", "products", "nope=eq.1"));
        Assert.Equal("invalid_filter", direct.Code);
    }

    [Fact]
    public async Task Rows_can_stay_untyped()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var table = client.LiveTable<string, JsonElement>("public", "products", row => row.GetProperty("sku").GetString()!);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [new { sku = "a-1", price = 1.5 }], last: true, offset: Frames.Offset(1)));
        await table.WaitUntilSyncedAsync();
        Assert.Equal(1.5m, table["a-1"].GetProperty("price").GetDecimal());
    }
}
