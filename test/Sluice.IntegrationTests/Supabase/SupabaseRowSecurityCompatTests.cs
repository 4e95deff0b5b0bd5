using Sluice.IntegrationTests.Infrastructure;
using Sluice.IntegrationTests.RowSecurity;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// Runs <c>test/compat/compat-rls.js</c>: the unchanged realtime-js client on a server with tokens and row-level security,
/// for vsn 1.0.0 and 2.0.0: each client sees its organization's rows, and after <c>setAuth</c> with another
/// organization's token it rejoins by itself and sees that organization's rows.
/// </summary>
public sealed class SupabaseRowSecurityCompatTests(PostgresFixture postgres, ITestOutputHelper output) : RowSecurityTest(postgres)
{
    [Fact]
    public async Task Realtime_js_sees_only_its_rows_and_follows_a_token_refresh()
    {
        await CreateMessagesAsync();
        var (code, text) = await CompatScripts.RunAsync("compat-rls.js", Server, Database, new Dictionary<string, string>
        {
            ["TOKEN_ORG1"] = TokenFor(1),
            ["TOKEN_ORG2"] = TokenFor(2),
        });
        output.WriteLine(text);
        Assert.True(code == 0, "compat-rls.js failed:\n" + text);
        Assert.Contains("ok - row-level security and token refresh vsn 1.0.0", text);
        Assert.Contains("ok - row-level security and token refresh vsn 2.0.0", text);
    }

    [Fact]
    public async Task Realtime_js_channels_close_when_the_token_expires_and_do_not_rejoin()
    {
        await CreateMessagesAsync();
        var (code, text) = await CompatScripts.RunAsync("compat-expiry.js", Server, Database, new Dictionary<string, string>
        {
            ["TOKEN_ORG1"] = TokenFor(1),
            ["TOKEN_SHORT"] = Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "short", ["organization_id"] = 1 }, DateTime.UtcNow.AddSeconds(10)),
        });
        output.WriteLine(text);
        Assert.True(code == 0, "compat-expiry.js failed:\n" + text);
        Assert.Contains("ok - token expiry closes the channel vsn 1.0.0", text);
        Assert.Contains("ok - token expiry closes the channel vsn 2.0.0", text);
    }

    /// <summary>
    /// The README's <c>createClient</c> snippet from <c>@supabase/supabase-js</c> (compat-supabase-js.js): filtered changes under
    /// row-level security, a database broadcast (<c>realtime.send</c> to the public channel), broadcast over the socket and
    /// <c>httpSend</c> with a service-role key.
    /// </summary>
    [Fact]
    public async Task Supabase_js_createClient_works_for_both_vsn()
    {
        await CreateMessagesAsync();
        var (code, text) = await CompatScripts.RunAsync("compat-supabase-js.js", Server, Database, new Dictionary<string, string>
        {
            ["TOKEN_ORG1"] = TokenFor(1),
            ["SERVICE_KEY"] = Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "backend", ["role"] = "service_role" }),
        });
        output.WriteLine(text);
        Assert.True(code == 0, "compat-supabase-js.js failed:\n" + text);
        Assert.Contains("ok - supabase-js createClient vsn 1.0.0", text);
        Assert.Contains("ok - supabase-js createClient vsn default", text);
    }
}
