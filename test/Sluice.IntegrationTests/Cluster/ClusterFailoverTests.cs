using Sluice.Client;
using Sluice.IntegrationTests.Client;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Cluster;

/// <summary>
/// Capture failover: while writers change the table, SDK live tables move from node to node (their sockets are cut and
/// the proxy points at another node), the leader is killed with SIGKILL and later started again. Another node takes over
/// capture, and every live table ends equal to the table, having applied each transaction whole, in order, once —
/// resuming with its offset on whatever node it reached, without a new snapshot.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class ClusterFailoverTests(PostgresFixture postgres)
{
    private static readonly string[] LargeRetention = ["--retention-changes", "10000000"];

    [Theory]
    [InlineData(11)]
    [InlineData(4242)]
    public async Task Live_tables_moving_between_nodes_converge_when_the_leader_is_killed(int seed)
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var cluster = await ClusterNodes.StartAsync(database, extraArgs: LargeRetention);
        try
        {
            await RunAsync(database, cluster, seed);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"{ex.Message}\n{cluster.Output}", ex);
        }
    }

    private static async Task RunAsync(TestDatabase database, ClusterNodes cluster, int seed)
    {
        var random = new Random(seed);
        const int preload = 300;
        var table = await VersionedTable.CreateAsync(database, "cluster_chaos", preload);
        var targets = new int[2];
        var dead = new HashSet<int>();
        await using var proxyA = new TcpProxy(() => cluster[Volatile.Read(ref targets[0])].Port);
        await using var proxyB = new TcpProxy(() => cluster[Volatile.Read(ref targets[1])].Port);
        TcpProxy[] proxies = [proxyA, proxyB];
        targets[1] = 1;
        await using var clientA = SdkClients.Create(proxyA.WebSocketUrl);
        await using var clientB = SdkClients.Create(proxyB.WebSocketUrl);
        SluiceClient[] clients = [clientA, clientB];
        var errors = new List<string>();
        foreach (var client in clients)
            client.Error += (_, e) =>
            {
                lock (errors)
                    errors.Add(e.ToString()!);
            };
        var liveA = clientA.LiveTable<long, VersionedRow>("public", table.Name, row => row.Id);
        var liveB = clientB.LiveTable<long, VersionedRow>("public", table.Name, row => row.Id);
        var auditA = new LiveTableAudit(liveA);
        var auditB = new LiveTableAudit(liveB);
        await clientA.StartAsync();
        await clientB.StartAsync();

        void Move(int client)
        {
            var alive = Enumerable.Range(0, cluster.Nodes.Count).Where(node => !dead.Contains(node) && node != targets[client]).ToArray();
            Volatile.Write(ref targets[client], alive[random.Next(alive.Length)]);
            proxies[client].CutAll();
        }

        await using (var writers = new WriterPool(table, ChaosSchedule.Writers, seed, preload))
        {
            await liveA.WaitUntilSyncedAsync().WaitAsync(SdkClients.Patience);
            await liveB.WaitUntilSyncedAsync().WaitAsync(SdkClients.Patience);
            for (var round = 0; round < 3; round++)
            {
                await writers.WaitForCommitsAsync(writers.Commits + random.Next(30, 150));
                Move(random.Next(2));
            }

            // Kill the leader while the writers go on; clients on it move to the survivors.
            var leader = await cluster.WaitForLeaderAsync();
            cluster[leader].Kill();
            dead.Add(leader);
            for (var client = 0; client < 2; client++)
            {
                if (targets[client] == leader)
                    Move(client);
            }
            await writers.WaitForCommitsAsync(writers.Commits + random.Next(50, 200));
            var successor = await cluster.WaitForLeaderAsync(leader);
            Assert.NotEqual(leader, successor);
            for (var round = 0; round < 3; round++)
            {
                await writers.WaitForCommitsAsync(writers.Commits + random.Next(30, 150));
                Move(random.Next(2));
            }

            // The killed node comes back as a follower and serves clients again.
            await cluster[leader].RestartAsync();
            dead.Remove(leader);
            Volatile.Write(ref targets[0], leader);
            proxyA.CutAll();
            await writers.WaitForCommitsAsync(writers.Commits + random.Next(100, 200));
            // And the new leader is killed too.
            cluster[successor].Kill();
            dead.Add(successor);
            for (var client = 0; client < 2; client++)
            {
                if (targets[client] == successor)
                    Move(client);
            }
            await writers.WaitForCommitsAsync(writers.Commits + random.Next(100, 200));
            await cluster.WaitForLeaderAsync(successor);
            await writers.StopAsync();
        }

        await table.InsertAsync(-1);
        await AssertConvergedAsync(table, liveA, auditA, "A");
        await AssertConvergedAsync(table, liveB, auditB, "B");
        lock (errors)
            Assert.True(errors.Count == 0, "errors: " + string.Join("; ", errors));
    }

    private static async Task AssertConvergedAsync(VersionedTable table, LiveTable<long, VersionedRow> live, LiveTableAudit audit, string name)
    {
        await SdkClients.EventuallyAsync(() => live.ContainsKey(-1), () => $"{name} caught up with the marker row ({live.Count} rows, mode {live.Mode})");
        var expected = await table.ReadVersionsAsync();
        var actual = live.Rows.ToDictionary(pair => pair.Key, pair => pair.Value.Version);
        var problems = expected.Where(pair => !actual.ContainsKey(pair.Key)).Select(pair => $"missing {pair.Key}")
            .Concat(actual.Where(pair => !expected.ContainsKey(pair.Key)).Select(pair => $"extra {pair.Key}"))
            .Concat(expected.Where(pair => actual.TryGetValue(pair.Key, out var v) && v != pair.Value).Select(pair => $"id {pair.Key}: {actual[pair.Key]} != {pair.Value}"))
            .Take(30).Concat(audit.Violations).ToList();
        Assert.True(problems.Count == 0, $"live table {name} differs ({audit.Snapshots} snapshots, {audit.Transactions} transactions):\n  " + string.Join("\n  ", problems));
        Assert.True(audit.Transactions > 0, $"live table {name} applied no transaction");
        // Moving between nodes and the failovers never cost a new snapshot: each resume found its offset on the next node.
        Assert.True(audit.Snapshots == 1, $"live table {name} took {audit.Snapshots} snapshots; a resume on another node was refused");
    }
}
