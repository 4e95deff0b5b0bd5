using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Client;

/// <summary>A plain table channel resumes with its last offset across a SIGKILL of the server: every insert once, in order.</summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class TableSubscriptionResumeTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Every_insert_arrives_once_and_in_order_across_a_server_kill()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var server = await ServerProcess.StartAsync(database);
        var table = await VersionedTable.CreateAsync(database, "sdk_resume");
        await using var proxy = new TcpProxy(() => server.Port);
        await using var client = SdkClients.Create(proxy.WebSocketUrl);
        var received = new List<long>();
        var subscription = client.Table("public", table.Name);
        subscription.OnInsert<VersionedRow>(row =>
        {
            lock (received)
                received.Add(row.Id);
        });
        await client.StartAsync();
        await client.WaitUntilConnectedAsync();

        // Live once the first insert arrives (a plain subscription starts with the next transaction).
        var id = 0L;
        await SdkClients.EventuallyAsync(async () =>
        {
            await table.InsertAsync(++id);
            lock (received)
                return received.Count > 0;
        }, () => "the subscription went live");
        long first;
        lock (received)
            first = received[0];

        for (var i = 0; i < 50; i++)
            await table.InsertAsync(++id);
        server.Kill();
        for (var i = 0; i < 50; i++)
            await table.InsertAsync(++id);
        await server.RestartAsync();
        proxy.CutAll();
        for (var i = 0; i < 50; i++)
            await table.InsertAsync(++id);

        var last = id;
        await SdkClients.EventuallyAsync(() => { lock (received) return received.Count > 0 && received[^1] == last; }, () => $"the last insert {last}");
        lock (received)
            Assert.Equal(Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => (long)i), received);
    }
}
