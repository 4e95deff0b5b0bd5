using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;

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
}
