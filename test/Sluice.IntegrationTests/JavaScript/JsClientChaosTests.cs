using Sluice.IntegrationTests.Client;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.JavaScript;

/// <summary>
/// <c>@sluice/client</c>'s live tables under chaos, like <see cref="LiveTableChaosTests"/> for the C# SDK: while three writers
/// change the table, every socket is cut at random moments (through a TCP proxy) and the server is killed with SIGKILL
/// and restarted; a live table from the start and one made mid-run each end equal to the table, every transaction
/// applied whole, once, in order.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class JsClientChaosTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private static readonly string[] LargeRetention = ["--retention-changes", "10000000"];

    [Fact]
    public async Task Live_tables_equal_the_table_after_socket_cuts_and_server_kills()
    {
        var seed = Random.Shared.Next(1, 1_000_000);
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        await using var database = await postgres.CreateDatabaseAsync();
        await using var server = await ServerProcess.StartAsync(database, LargeRetention);
        var preload = random.Next(0, 500);
        var table = await VersionedTable.CreateAsync(database, "js_chaos", preload);
        await using var proxy = new TcpProxy(() => server.Port);
        WriterPool? writers = null;
        var kills = 0;
        var cuts = 0;
        try
        {
            var (code, text) = await JsClientScripts.RunAsync("chaos.mjs", server.HttpBase,
                new Dictionary<string, string> { ["SLUICE_WS"] = proxy.WebSocketUrl.ToString(), ["TABLE"] = table.Name },
                async line =>
                {
                    switch (line)
                    {
                        case "READY":
                            writers = new WriterPool(table, ChaosSchedule.Writers, seed, preload);
                            await writers.WaitForCommitsAsync(random.Next(20, 150));
                            return "JOIN";
                        case "JOINED":
                            // Six blows while the writers go on: one of them (at a random step) kills the server, the others cut every socket.
                            var killStep = random.Next(6);
                            for (var step = 0; step < 6; step++)
                            {
                                await writers!.WaitForCommitsAsync(writers.Commits + random.Next(30, 150));
                                if (step == killStep)
                                {
                                    kills++;
                                    server.Kill();
                                    // The writers go on while the server is down: the clients must get this from the restarted server.
                                    await writers.WaitForCommitsAsync(writers.Commits + random.Next(20, 150));
                                    await server.RestartAsync();
                                }
                                else
                                {
                                    cuts++;
                                    proxy.CutAll();
                                }
                            }
                            await writers!.StopAsync();
                            await table.InsertAsync(-1);
                            return "MARKER -1";
                        case "EXPECTED?":
                            return await JsClientScripts.VersionsJsonAsync(table);
                        default:
                            return null;
                    }
                });
            output.WriteLine($"{kills} kills, {cuts} cuts, {proxy.Accepted} proxied connections");
            output.WriteLine(text);
            Assert.True(code == 0, $"chaos.mjs failed (seed {seed}):\n{text}\n--- server output ---\n{server.Output}");
            Assert.Equal((1, 5), (kills, cuts));
            Assert.Contains("ok - early live table equals the table", text);
            Assert.Contains("ok - late live table equals the table", text);
            Assert.Contains("ok - the table channel saw", text);
        }
        finally
        {
            if (writers is not null)
                await writers.DisposeAsync();
        }
    }
}
