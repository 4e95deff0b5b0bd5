using Sluice.IntegrationTests.Infrastructure;
using Sluice.Tests.Auth;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.JavaScript;

/// <summary>
/// Token refresh with <c>@sluice/client</c>: tokens that live a few seconds (no clock skew), refreshed on the live connection
/// ahead of expiry and after <c>token_expired</c>, while rows are inserted over several lifetimes; no reconnect, no loss.
/// </summary>
public sealed class JsClientAuthTests(PostgresFixture postgres, ITestOutputHelper output) : ServerTest(postgres)
{
    private const int TokenSeconds = 5;
    private const int Rows = 40;

    protected override string[] ServerArgs => ["--jwt-secret", TestTokens.Secret, "--jwt-clock-skew", "00:00:00"];

    [Fact]
    public async Task Tokens_are_refreshed_on_the_live_connection_without_losing_a_change()
    {
        await CreateTableAsync("secured", "id bigint PRIMARY KEY, name text");
        // Roles are shared by every database of the cluster: another test may have created "authenticated" (the role of
        // these tokens) or not. Without the role the server reads as itself; with it, the role needs SELECT. Make it
        // exist here with SELECT, so the test does not depend on which tests ran before it.
        await Database.ExecuteAsync("DO $$ BEGIN CREATE ROLE authenticated NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
        await Database.ExecuteAsync("GRANT SELECT ON public.secured TO authenticated");
        var (code, text) = await JsClientScripts.RunAsync("auth.mjs", Server.HttpBase,
            new Dictionary<string, string> { ["JWT_SECRET"] = TestTokens.Secret, ["TOKEN_SECONDS"] = TokenSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            async line =>
            {
                if (line != "INSERT")
                    return null;
                // Spread over about two and a half token lifetimes: both clients' tokens expire (or are renewed) twice or more meanwhile.
                for (var id = 1; id <= Rows; id++)
                {
                    await Database.ExecuteAsync("INSERT INTO public.secured VALUES ($1, 'row')", (long)id);
                    await Task.Delay(TokenSeconds * 2500 / Rows);
                }
                return Rows.ToString(System.Globalization.CultureInfo.InvariantCulture);
            });
        output.WriteLine(text);
        Assert.True(code == 0, "auth.mjs failed:\n" + text);
        Assert.Contains("ok - token refreshed ahead of expiry without reconnecting", text);
        Assert.Contains("ok - token refreshed on token_expired without reconnecting or losing a change", text);
    }
}
