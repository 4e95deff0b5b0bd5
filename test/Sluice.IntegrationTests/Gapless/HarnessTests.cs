using System.Net.Http.Json;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>
/// Checks the gapless test harness itself with what the server already does (live delivery with offsets), so a
/// failing gapless test points at the server, not at the harness.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class HarnessTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_child_process_server_streams_survives_sigkill_and_stops_on_sigterm()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var server = await ServerProcess.StartAsync(database);
        var table = await VersionedTable.CreateAsync(database, "harness_process");

        await using (var client = await server.ConnectAsync())
        {
            await client.SubscribeAsync(table.Channel);
            await table.InsertAsync(1);
            Assert.Equal(1, Frames.Id(await client.NextChangeAsync()));
            Assert.Equal("streaming", (await server.StatsAsync()).GetProperty("capture").GetString());

            server.Kill();
            Assert.False(server.IsRunning);
            await client.WaitForCloseAsync();
        }

        await table.InsertAsync(2);
        await server.RestartAsync();
        await using (var client = await server.ConnectAsync())
        {
            await client.SubscribeAsync(table.Channel);
            await table.InsertAsync(3);
            // Row 2 may stream after the restart, before or after the subscription took effect; row 3 must arrive.
            while (Frames.Id(await client.NextChangeAsync()) != 3)
            {
            }
        }

        var oldPort = server.Port;
        server.Kill();
        await server.RestartAsync(newPort: true);
        Assert.NotEqual(oldPort, server.Port);
        Assert.Equal("ok", (await server.Http.GetFromJsonAsync<JsonElement>(new Uri(server.HttpBase, "health"))).GetProperty("status").GetString());
        Assert.Equal(0, await server.StopAsync());
        Assert.False(server.IsRunning);
    }

    [Fact]
    public async Task A_replica_that_starts_on_an_empty_table_converges_with_concurrent_writers()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var server = await ServerHandle.StartAsync(database);
        var table = await VersionedTable.CreateAsync(database, "harness_replica");
        await using var replica = new ReplicaClient("live", table.Channel, () => server.WebSocketUrl);
        await replica.ConnectAsync(snapshot: false);

        await using (var writers = new WriterPool(table, writers: 3, seed: 42))
        {
            await writers.WaitForCommitsAsync(600);
            await writers.StopAsync();
            Assert.True(writers.Rollbacks > 0, "the writers never rolled back");
        }
        await table.InsertAsync(-1);
        await replica.CatchUpAsync(-1);

        await table.AssertReplicaMatchesAsync(replica);
        var applied = replica.Applied;
        Assert.Contains(applied, frame => frame.Kind == "UPDATE");
        Assert.Contains(applied, frame => frame.Kind == "DELETE");
        Assert.Equal(1, replica.Sessions);
    }
}
