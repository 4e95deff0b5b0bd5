using Sluice.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// Runs <c>test/compat/compat.js</c>: the unchanged <c>@supabase/realtime-js</c> client (from npm, with <c>ws</c> as its
/// transport on Node 20) against this server and its PostgreSQL, for vsn 1.0.0 and 2.0.0. Needs <c>node</c> and
/// <c>npm</c>; runs <c>npm ci</c> first when <c>test/compat/node_modules</c> is missing.
/// </summary>
public sealed class RealtimeJsCompatTests(PostgresFixture postgres, ITestOutputHelper output) : ServerTest(postgres)
{
    [Fact]
    public async Task Unchanged_realtime_js_client_works_for_both_vsn()
    {
        var (code, text) = await CompatScripts.RunAsync("compat.js", Server, Database, new Dictionary<string, string>());
        output.WriteLine(text);
        Assert.True(code == 0, "compat.js failed:\n" + text);
        Assert.Contains("ok - postgres_changes vsn 1.0.0", text);
        Assert.Contains("ok - postgres_changes vsn 2.0.0", text);
        Assert.Contains("ok - broadcast and presence vsn 1.0.0", text);
        Assert.Contains("ok - broadcast and presence vsn 2.0.0", text);
    }
}
