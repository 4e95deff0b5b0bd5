using Sluice.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// Runs <c>test/compat/compat-resume.js</c>: the unchanged realtime-js client (vsn 1.0.0 and 2.0.0) with the README's
/// <c>since</c> recipe; the server process is killed, rows are written while it is down, and it starts again on the same
/// port: each client rejoins with <c>since</c> and receives every missed insert once, in order, then live ones.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class SupabaseResumeCompatTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Realtime_js_with_since_misses_nothing_across_a_server_kill()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var server = await ServerProcess.StartAsync(database);
        var port = server.Port;
        var (code, text) = await CompatScripts.RunAsync("compat-resume.js", server.HttpBase, database, new Dictionary<string, string>(), async line =>
        {
            switch (line)
            {
                case "KILL":
                    server.Kill();
                    return "KILLED";
                case "START":
                    await server.RestartAsync();
                    Assert.True(server.Port == port, $"the server came back on port {server.Port}, not {port}: the client could not find it");
                    return "STARTED";
                default:
                    return null;
            }
        });
        output.WriteLine(text);
        Assert.True(code == 0, "compat-resume.js failed:\n" + text + "\n--- server:\n" + server.Output);
        Assert.Contains("ok - gapless resume with since vsn 1.0.0", text);
        Assert.Contains("ok - gapless resume with since vsn 2.0.0", text);
    }
}
