using System.Net;
using System.Text.Json;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Cluster;

/// <summary>
/// Redis goes away (SIGKILL) while rows are written, and comes back with its data (append-only file) or empty. Meanwhile
/// every node reports not ready and keeps its clients; afterwards every client on every node gets every change once, in
/// order, with no <c>resync_required</c>, and an offset from before the outage still resumes on any node.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class ClusterRedisOutageTests(PostgresFixture postgres)
{
    // No WAL heartbeat in flight when Redis is killed: each node has read everything the leader appended.
    private static readonly string[] QuietHeartbeat = ["--wal-heartbeat-interval", "01:00:00"];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Nodes_deliver_everything_written_while_Redis_was_down(bool redisKeepsItsData)
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var cluster = await ClusterNodes.StartAsync(database, persistentRedis: redisKeepsItsData, extraArgs: QuietHeartbeat);
        try
        {
            await database.ExecuteAsync("CREATE TABLE public.outage (id bigint PRIMARY KEY, note text)");
            await database.ExecuteAsync("SELECT enable_realtime('public', 'outage')");
            await cluster.WaitForLeaderAsync();
            var clients = new List<TestClient>();
            foreach (var node in cluster.Nodes)
            {
                var client = await node.ConnectAsync();
                clients.Add(client);
                await client.SubscribeAsync("table:public.outage");
            }
            await database.ExecuteAsync("INSERT INTO public.outage VALUES (1, 'before')");
            var firstOffsets = new List<string>();
            foreach (var client in clients)
            {
                var change = await client.NextChangeAsync();
                Assert.Equal(1, Frames.Id(change));
                firstOffsets.Add(Frames.Offset(change));
            }
            Assert.Single(firstOffsets.Distinct());

            cluster.Redis.Kill();
            await WaitForReadinessAsync(cluster, ready: false);
            for (var id = 2; id <= 6; id++)
                await database.ExecuteAsync("INSERT INTO public.outage VALUES ($1, 'during')", (long)id);
            await cluster.Redis.RestartAsync();
            await WaitForReadinessAsync(cluster, ready: true);
            for (var id = 7; id <= 9; id++)
                await database.ExecuteAsync("INSERT INTO public.outage VALUES ($1, 'after')", (long)id);

            var offsets = new List<string[]>();
            foreach (var client in clients)
            {
                var received = new List<JsonElement>();
                for (var i = 0; i < 8; i++)
                    received.Add(await client.NextAsync());
                Assert.True(received.All(frame => Frames.Type(frame) == "broadcast"), "expected only changes, got " + string.Join(", ", received));
                Assert.Equal([2L, 3, 4, 5, 6, 7, 8, 9], received.Select(Frames.Id));
                offsets.Add([.. received.Select(Frames.Offset)]);
            }
            Assert.Equal(offsets[0], offsets[1]);
            Assert.Equal(offsets[0], offsets[2]);

            // The offset of the first change still resumes, on every node.
            foreach (var node in cluster.Nodes)
            {
                await using var resumed = await node.ConnectAsync();
                var reply = await Frames.ResumeAsync(resumed, "table:public.outage", firstOffsets[0]);
                Assert.True(Frames.Type(reply) == "ack", $"expected ack, got {reply}");
                for (var id = 2L; id <= 9; id++)
                    Assert.Equal(id, Frames.Id(await resumed.NextChangeAsync()));
            }
            foreach (var client in clients)
                await client.DisposeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"{ex.Message}\n{cluster.Output}", ex);
        }
    }

    private static async Task WaitForReadinessAsync(ClusterNodes cluster, bool ready)
    {
        var expected = ready ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable;
        var deadline = DateTime.UtcNow + ClusterNodes.Patience;
        foreach (var node in cluster.Nodes)
        {
            while (true)
            {
                using var response = await node.Http.GetAsync(new Uri(node.HttpBase, "health/ready"));
                if (response.StatusCode == expected)
                    break;
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"/health/ready of {node.HttpBase} did not become {expected}: {await response.Content.ReadAsStringAsync()}");
                await Task.Delay(100);
            }
        }
    }
}
