using CsCheck;
using Sluice.Client;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Client;

/// <summary>
/// The SDK's headline property against the real server and PostgreSQL: while writers change the table, the test cuts
/// the client's sockets at random moments (sometimes inside the snapshot) and kills the server with SIGKILL and
/// restarts it; every live table ends equal to the table, having applied each transaction whole, in order, once.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class LiveTableChaosTests(PostgresFixture postgres)
{
    private static readonly string[] LargeRetention = ["--retention-changes", "10000000"];

    [Fact]
    public async Task Live_tables_converge_under_socket_cuts_and_server_kills() =>
        await Gen.Select(Gen.Int[1, 1_000_000], Gen.Int[0, 1500], Gen.Int[1, 2])
            .SampleAsync(async (seed, preload, kills) =>
            {
                await using var database = await postgres.CreateDatabaseAsync();
                await using var server = await ServerProcess.StartAsync(database, LargeRetention);
                try
                {
                    await RunAsync(database, server, seed, preload, kills);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    throw new InvalidOperationException($"{ex.Message}\n--- server output ---\n{server.Output}", ex);
                }
            }, iter: 2, threads: 1, print: t => $"seed {t.Item1}, preload {t.Item2}, kills {t.Item3}");

    private static async Task RunAsync(TestDatabase database, ServerProcess server, int seed, int preload, int kills)
    {
        var random = new Random(seed);
        var table = await VersionedTable.CreateAsync(database, "sdk_chaos", preload);
        await using var proxy = new TcpProxy(() => server.Port);
        await using var client = SdkClients.Create(proxy.WebSocketUrl);
        var errors = new List<SluiceErrorEventArgs>();
        client.Error += (_, e) =>
        {
            lock (errors)
                errors.Add(e);
        };
        var early = client.LiveTable<long, VersionedRow>("public", table.Name, row => row.Id);
        var earlyAudit = new LiveTableAudit(early);
        await client.StartAsync();

        await using (var writers = new WriterPool(table, ChaosSchedule.Writers, seed, preload))
        {
            // The early table's snapshot races the writers' first commits.
            await early.WaitUntilSyncedAsync().WaitAsync(SdkClients.Patience);
            // A second client joins mid-run, so its snapshot races the writers too.
            await writers.WaitForCommitsAsync(writers.Commits + random.Next(20, 200));
            await using var lateClient = SdkClients.Create(proxy.WebSocketUrl);
            var late = lateClient.LiveTable<long, VersionedRow>("public", table.Name, row => row.Id);
            var lateAudit = new LiveTableAudit(late);
            await lateClient.StartAsync();
            if (random.Next(2) == 0)
            {
                await lateClient.WaitUntilConnectedAsync().WaitAsync(SdkClients.Patience);
                proxy.CutAll(); // probably inside the late table's snapshot
            }

            var target = writers.Commits + 1200;
            var killsLeft = kills;
            while (writers.Commits < target)
            {
                // Let the clients reconnect and stream a while before the next blow.
                await client.WaitUntilConnectedAsync().WaitAsync(SdkClients.Patience);
                await lateClient.WaitUntilConnectedAsync().WaitAsync(SdkClients.Patience);
                await writers.WaitForCommitsAsync(writers.Commits + random.Next(30, 250));
                if (killsLeft > 0 && (random.Next(3) == 0 || writers.Commits > target - 500))
                {
                    killsLeft--;
                    server.Kill();
                    // The writers go on while the server is down: the clients must get this from the restarted server.
                    await writers.WaitForCommitsAsync(writers.Commits + random.Next(20, 200));
                    await server.RestartAsync();
                }
                else
                    proxy.CutAll();
            }
            await writers.StopAsync();

            await table.InsertAsync(-1);
            await AssertConvergedAsync(table, late, lateAudit, "late");
        }
        var transactions = await AssertConvergedAsync(table, early, earlyAudit, "early");
        // The late table may have ended on a snapshot (cut again and again inside it); the early one streamed.
        Assert.True(transactions > 0, $"the early live table applied no transaction ({earlyAudit.Snapshots} snapshots, {proxy.Accepted} connections)");
        lock (errors)
            Assert.True(errors.Count == 0, "errors: " + string.Join("; ", errors));
    }

    private static async Task<int> AssertConvergedAsync(VersionedTable table, LiveTable<long, VersionedRow> live, LiveTableAudit audit, string name)
    {
        await SdkClients.EventuallyAsync(() => live.ContainsKey(-1), () => $"{name} table caught up with the marker row ({live.Count} rows, mode {live.Mode})");
        var expected = await table.ReadVersionsAsync();
        var actual = live.Rows.ToDictionary(pair => pair.Key, pair => pair.Value.Version);
        var missing = expected.Where(pair => !actual.ContainsKey(pair.Key)).Select(pair => $"missing {pair.Key}");
        var extra = actual.Where(pair => !expected.ContainsKey(pair.Key)).Select(pair => $"extra {pair.Key}");
        var stale = expected.Where(pair => actual.TryGetValue(pair.Key, out var v) && v != pair.Value).Select(pair => $"id {pair.Key}: {actual[pair.Key]} != {pair.Value}");
        var problems = missing.Concat(extra).Concat(stale).Take(30).Concat(audit.Violations).ToList();
        Assert.True(problems.Count == 0, $"{name} live table differs ({audit.Snapshots} snapshots, {audit.Transactions} transactions):\n  " + string.Join("\n  ", problems));
        return audit.Transactions;
    }
}
