using Sluice.Client;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Client;

/// <summary>The SDK against the real server: live tables, table channels, handler failures, resync and dispose.</summary>
public sealed class LiveTableTests(PostgresFixture postgres) : ServerTest(postgres)
{
    [Fact]
    public async Task A_live_table_follows_transactions_and_truncate()
    {
        var table = await VersionedTable.CreateAsync(Database, "sdk_basic", preload: 3);
        await using var client = SdkClients.Create(Server.WebSocketUrl);
        var live = client.LiveTable<long, VersionedRow>("public", table.Name, row => row.Id);
        var audit = new LiveTableAudit(live);
        await client.StartAsync();
        await live.WaitUntilSyncedAsync();
        Assert.Equal([1L, 2L, 3L], live.Keys.Order());

        await table.TransactionAsync($"UPDATE public.{table.Name} SET version = 1 WHERE id = 1; DELETE FROM public.{table.Name} WHERE id = 2; INSERT INTO public.{table.Name} VALUES (4, 0, 'x')");
        await SdkClients.EventuallyAsync(() => live.ContainsKey(4), () => "the transaction");
        Assert.Equal(new Dictionary<long, int> { [1] = 1, [3] = 0, [4] = 0 }, live.Rows.ToDictionary(p => p.Key, p => p.Value.Version));

        await Database.ExecuteAsync($"TRUNCATE public.{table.Name}");
        await table.InsertAsync(10);
        await SdkClients.EventuallyAsync(() => live.ContainsKey(10), () => "the insert after the truncate");
        Assert.Equal([10L], live.Keys);
        Assert.Empty(audit.Violations);
        Assert.Equal(3, audit.Transactions);
    }

    [Fact]
    public async Task A_live_table_resyncs_when_its_offset_left_the_retention_window()
    {
        var table = await VersionedTable.CreateAsync(Database, "sdk_resync", preload: 5);
        await using var proxy = new TcpProxy(() => Server.HttpBase.Port);
        await using var client = SdkClients.Create(proxy.WebSocketUrl);
        var live = client.LiveTable<long, VersionedRow>("public", table.Name, row => row.Id);
        var audit = new LiveTableAudit(live);
        await client.StartAsync();
        await live.WaitUntilSyncedAsync();
        await table.InsertAsync(100);
        await SdkClients.EventuallyAsync(() => live.ContainsKey(100), () => "the first insert");

        // Offline while more changes than the window holds are made: resuming is impossible, a new snapshot is needed.
        proxy.Refusing = true;
        proxy.CutAll();
        for (var i = 0; i < 30; i++)
            await table.InsertAsync(200 + i);
        proxy.Refusing = false;

        await SdkClients.EventuallyAsync(() => live.ContainsKey(229), () => $"the rows made while offline ({audit.Snapshots} snapshots)");
        await table.InsertAsync(300);
        await SdkClients.EventuallyAsync(() => live.ContainsKey(300), () => "streaming after the resync");
        Assert.Equal((await table.ReadVersionsAsync()).Keys.Order(), live.Keys.Order());
        Assert.Equal(2, audit.Snapshots);
        Assert.Empty(audit.Violations);
    }

    protected override string[] ServerArgs => ["--retention-changes", "10"];

    [Fact]
    public async Task A_throwing_handler_is_reported_and_later_changes_still_arrive()
    {
        var table = await VersionedTable.CreateAsync(Database, "sdk_handlers");
        await using var client = SdkClients.Create(Server.WebSocketUrl);
        var errors = new List<SluiceErrorEventArgs>();
        client.Error += (_, e) =>
        {
            lock (errors)
                errors.Add(e);
        };
        var subscription = client.Table("public", table.Name, events: ChangeEvents.Insert);
        var received = new List<long>();
        subscription.OnInsert<VersionedRow>(row =>
        {
            if (row.Id == 1)
                throw new InvalidOperationException("handler bug");
            lock (received)
                received.Add(row.Id);
        });
        await client.StartAsync();
        await client.WaitUntilConnectedAsync();
        // The subscription is live once a change on it arrives; insert until the first one does.
        await SdkClients.EventuallyAsync(async () =>
        {
            await table.InsertAsync(1000 + Random.Shared.Next(1_000_000));
            lock (received)
                return received.Count > 0;
        }, () => "the subscription went live");
        await table.InsertAsync(1);
        await table.InsertAsync(2);
        await SdkClients.EventuallyAsync(() => { lock (received) return received.Contains(2); }, () => "the insert after the failing one");
        // Errors are raised on the client's event dispatcher, not in line with the changes: wait for it.
        await SdkClients.EventuallyAsync(() => { lock (errors) return errors.Count > 0; }, () => "the handler failure reported");

        lock (errors)
        {
            var error = Assert.Single(errors);
            Assert.Equal(ClientErrorCodes.HandlerFailed, error.Code);
            Assert.Equal("handler bug", error.Exception!.Message);
        }
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task Server_error_codes_reach_the_error_event_and_the_client_stays_connected()
    {
        await Database.ExecuteAsync("CREATE TABLE public.not_enabled (id bigint PRIMARY KEY)");
        await using var client = SdkClients.Create(Server.WebSocketUrl);
        var errors = new List<SluiceErrorEventArgs>();
        client.Error += (_, e) =>
        {
            lock (errors)
                errors.Add(e);
        };
        client.Table("public", "missing");
        client.Table("public", "not_enabled");
        await client.StartAsync();
        await SdkClients.EventuallyAsync(() => { lock (errors) return errors.Count >= 2; }, () => "both refusals");
        lock (errors)
        {
            Assert.Equal(
                [ErrorCodes.RealtimeNotEnabled, ErrorCodes.TableNotFound],
                errors.Select(e => e.Code).Order(StringComparer.Ordinal));
        }
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task Disposing_while_reconnecting_ends_the_client()
    {
        var table = await VersionedTable.CreateAsync(Database, "sdk_dispose");
        await using var proxy = new TcpProxy(() => Server.HttpBase.Port);
        var client = SdkClients.Create(proxy.WebSocketUrl);
        var live = client.LiveTable<long, VersionedRow>("public", table.Name, row => row.Id);
        await client.StartAsync();
        await live.WaitUntilSyncedAsync();
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.Current == ConnectionState.Reconnecting)
                reconnecting.TrySetResult();
        };
        proxy.Refusing = true;
        proxy.CutAll();
        await reconnecting.Task.WaitAsync(SdkClients.Patience);

        await client.DisposeAsync().AsTask().WaitAsync(SdkClients.Patience);

        Assert.Equal(ConnectionState.Closed, client.State);
        Assert.True(live.IsSynced);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.WaitUntilConnectedAsync());
    }
}
