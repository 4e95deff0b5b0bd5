using System.Text.Json;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Cluster;

/// <summary>Three nodes on one database and one Redis: one leader captures, every node delivers with the same offsets.</summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class ClusterDeliveryTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Changes_reach_every_node_with_the_same_offsets_and_a_client_resumes_on_another_node()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var cluster = await ClusterNodes.StartAsync(database);
        try
        {
            await database.ExecuteAsync("CREATE TABLE public.items (id bigint PRIMARY KEY, name text)");
            await database.ExecuteAsync("SELECT enable_realtime('public', 'items')");
            await cluster.WaitForLeaderAsync();
            var clients = new List<TestClient>();
            foreach (var node in cluster.Nodes)
            {
                var client = await node.ConnectAsync();
                clients.Add(client);
                await client.SubscribeAsync("table:public.items");
            }

            await database.ExecuteAsync("INSERT INTO public.items VALUES (1, 'a'), (2, 'b'), (3, 'c')");
            await database.ExecuteAsync("UPDATE public.items SET name = 'bb' WHERE id = 2");

            var offsets = new List<string[]>();
            foreach (var client in clients)
            {
                var received = new List<JsonElement>();
                for (var i = 0; i < 4; i++)
                    received.Add(await client.NextChangeAsync());
                Assert.Equal([1L, 2, 3, 2], received.Select(Frames.Id));
                Assert.Equal(["INSERT", "INSERT", "INSERT", "UPDATE"], received.Select(Frames.Kind));
                offsets.Add([.. received.Select(Frames.Offset)]);
            }
            Assert.Equal(offsets[0], offsets[1]);
            Assert.Equal(offsets[0], offsets[2]);

            // A client that saw the first two changes on node 0 resumes on node 2 and gets exactly the rest.
            await using var moved = await cluster[2].ConnectAsync();
            var reply = await Frames.ResumeAsync(moved, "table:public.items", offsets[0][1]);
            Assert.True(Frames.Type(reply) == "ack", $"expected ack, got {reply}");
            var rest = new[] { await moved.NextChangeAsync(), await moved.NextChangeAsync() };
            Assert.Equal([3L, 2], rest.Select(Frames.Id));
            Assert.Equal(offsets[0][2..], rest.Select(Frames.Offset));

            // A snapshot on a follower joins that node's stream exactly.
            var follower = cluster.Nodes.Count - 1;
            await using var snapshotClient = await cluster[follower].ConnectAsync();
            var snapshot = await Frames.SnapshotAsync(snapshotClient, "table:public.items");
            Assert.Equal(3, snapshot.Rows.Count);
            await database.ExecuteAsync("INSERT INTO public.items VALUES (4, 'd')");
            var next = await snapshotClient.NextChangeAsync();
            Assert.Equal(4, Frames.Id(next));
            Assert.True(string.CompareOrdinal(Frames.Offset(next), snapshot.Offset) > 0);

            // Stats: this node's part, every node's figures and the totals; metrics carry the stream lag.
            var leader = await cluster.WaitForLeaderAsync();
            JsonElement stats = default;
            var deadline = DateTime.UtcNow + ClusterNodes.Patience;
            while (true)
            {
                stats = (await cluster[follower].StatsAsync()).GetProperty("cluster");
                if (stats.GetProperty("nodes").GetInt32() == 3 && stats.GetProperty("total_connections").GetInt32() >= 5)
                    break;
                Assert.True(DateTime.UtcNow < deadline, $"cluster stats did not show 3 nodes and 5 connections: {stats}");
                await Task.Delay(200);
            }
            Assert.Equal($"node{follower}", stats.GetProperty("node_id").GetString());
            Assert.False(stats.GetProperty("leader").GetBoolean());
            Assert.Equal($"node{leader}", stats.GetProperty("leader_node").GetString());
            Assert.True(stats.GetProperty("redis_connected").GetBoolean());
            Assert.True(stats.GetProperty("stream_entries_read").GetInt64() > 0);
            var figures = stats.GetProperty("node_figures").EnumerateArray().ToArray();
            Assert.Equal(["node0", "node1", "node2"], figures.Select(node => node.GetProperty("node_id").GetString()));
            Assert.Equal(stats.GetProperty("total_connections").GetInt32(), figures.Sum(node => node.GetProperty("connections").GetInt32()));
            Assert.Single(figures, node => node.GetProperty("leader").GetBoolean());
            var metrics = await cluster[follower].Http.GetStringAsync(new Uri(cluster[follower].HttpBase, "metrics"));
            Assert.Contains("sluice_cluster_stream_lag_bytes", metrics, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^sluice_cluster_leader(\{[^}]*\})? 0", metrics);

            foreach (var client in clients)
                await client.DisposeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"{ex.Message}\n{cluster.Output}", ex);
        }
    }

    [Fact]
    public async Task Nodes_started_at_the_same_time_share_one_slot_and_one_offset_epoch()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var redis = await RedisServer.StartAsync();
        var starting = Enumerable.Range(0, 3).Select(i => ServerProcess.StartAsync(database, "--redis", redis.Configuration, "--node-id", $"node{i}")).ToArray();
        var nodes = new List<ServerProcess>();
        Exception? failed = null;
        foreach (var start in starting)
        {
            try
            {
                nodes.Add(await start);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                failed ??= ex;
            }
        }
        if (failed is not null)
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
            throw new InvalidOperationException("a node did not start next to the others", failed);
        }
        try
        {
            await database.ExecuteAsync("CREATE TABLE public.together (id bigint PRIMARY KEY)");
            await database.ExecuteAsync("SELECT enable_realtime('public', 'together')");
            var clients = new List<TestClient>();
            foreach (var node in nodes)
            {
                var client = await node.ConnectAsync();
                clients.Add(client);
                await client.SubscribeAsync("table:public.together");
            }
            await database.ExecuteAsync("INSERT INTO public.together VALUES (1)");
            var offsets = new List<string>();
            foreach (var client in clients)
                offsets.Add(Frames.Offset(await client.NextChangeAsync()));
            Assert.Single(offsets.Distinct());
            Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", database.SlotName));
            foreach (var client in clients)
                await client.DisposeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"{ex.Message}\n" + string.Join("\n", nodes.Select(node => node.Output)), ex);
        }
        finally
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
        }
    }
}
