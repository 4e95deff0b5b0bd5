using Sluice.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// Runs <c>test/compat/compat-restart.js</c>: the unchanged realtime-js client (vsn 1.0.0 and 2.0.0) on the real server
/// process, which is stopped (SIGTERM) and later killed (SIGKILL) and started again on the same port against the same
/// database; the client reconnects, rejoins, reaches SUBSCRIBED again and receives the inserts made after that.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class SupabaseRestartCompatTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Realtime_js_rejoins_after_a_server_restart_and_keeps_receiving()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var server = await ServerProcess.StartAsync(database);
        var port = server.Port;
        var restarts = 0;
        var (code, text) = await CompatScripts.RunAsync("compat-restart.js", server.HttpBase, database, new Dictionary<string, string>(), async line =>
        {
            if (!line.StartsWith("RESTART ", StringComparison.Ordinal))
                return null;
            if (++restarts == 1)
                Assert.Equal(0, await server.StopAsync());
            else
                server.Kill();
            await server.RestartAsync();
            Assert.True(server.Port == port, $"the server came back on port {server.Port}, not {port}: the client could not find it");
            return "RESTARTED";
        });
        output.WriteLine(text);
        Assert.True(code == 0, "compat-restart.js failed:\n" + text + "\n--- server:\n" + server.Output);
        Assert.Equal(2, restarts);
        Assert.Contains("ok - restart and rejoin vsn 1.0.0", text);
        Assert.Contains("ok - restart and rejoin vsn 2.0.0", text);
    }
}
