using System.Net.WebSockets;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Tests.Auth;

namespace Sluice.IntegrationTests.Observability;

/// <summary>
/// Issue 15, item 7: tokens never reach the log. The server's configuration comes from its own directory whatever the
/// current directory (started from a repository root or by a service unit), and any request logging, even switched on
/// explicitly, shows no query string. Real server process, real clients of both protocols and the rows endpoint.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TokenLoggingTests(PostgresFixture postgres) : IDisposable
{
    private readonly TestTokens _tokens = new();
    private readonly string _elsewhere = Directory.CreateTempSubdirectory("sluice-cwd-").FullName;

    /// <summary>Connects with tokens in every place a client may put them (valid and refused), then stops the server.</summary>
    private async Task<List<string>> RunClientsAsync(string[] extraArgs, string[] tokens)
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var server = await ServerProcess.StartInAsync(_elsewhere, database, ["--jwt-secret", TestTokens.Secret, .. extraArgs]);
        await database.ExecuteAsync("CREATE TABLE public.items (id bigint PRIMARY KEY, name text)");
        await database.ExecuteAsync("SELECT enable_realtime('public', 'items')");

        foreach (var token in tokens)
        {
            await using (var native = await TestClient.ConnectAsync(new Uri($"{server.WebSocketUrl}?token={token}")))
            {
                try
                {
                    await native.SendAsync(new { type = "heartbeat" });
                }
                catch (WebSocketException)
                {
                    // The refused token's connection is already closing.
                }
                await native.NextAsync(skipHeartbeats: false); // the heartbeat's answer, or the refusal
            }
            using (var supabase = new ClientWebSocket())
            {
                try
                {
                    await supabase.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/realtime/v1/websocket?apikey={token}&vsn=2.0.0"), CancellationToken.None);
                    await supabase.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                }
                catch (WebSocketException)
                {
                    // Refused at the upgrade (401): still a logged request.
                }
            }
            using var rows = await server.Http.GetAsync(new Uri(server.HttpBase, $"api/tables/public.items/rows?token={token}"));
        }
        await server.StopAsync();
        return [.. server.AllOutput.Where(line => !line.StartsWith("--- starting", StringComparison.Ordinal))];
    }

    private string[] Tokens()
    {
        var valid = _tokens.Hs256();
        var badlySigned = valid[..(valid.LastIndexOf('.') + 1)] + "AAAA" + valid[(valid.LastIndexOf('.') + 5)..];
        return [valid, badlySigned];
    }

    private static void AssertNoToken(List<string> output, string[] tokens)
    {
        foreach (var line in output)
        {
            Assert.DoesNotContain("eyJ", line, StringComparison.Ordinal);
            foreach (var token in tokens)
                Assert.DoesNotContain(token.Split('.')[2], line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Started_outside_its_directory_the_server_uses_its_own_configuration_and_logs_no_token()
    {
        var tokens = Tokens();
        var output = await RunClientsAsync([], tokens);
        AssertNoToken(output, tokens);
        // appsettings.json (beside the server) keeps ASP.NET's per-request lines out of the log.
        Assert.DoesNotContain(output, line => line.Contains("Request starting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Request_logging_switched_on_shows_no_query_string()
    {
        var tokens = Tokens();
        var output = await RunClientsAsync(["--Logging:LogLevel:Default", "Debug", "--Logging:LogLevel:Microsoft.AspNetCore", "Debug"], tokens);
        AssertNoToken(output, tokens);
        Assert.Contains(output, line => line.Contains("Request starting", StringComparison.Ordinal) && line.Contains("/realtime", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _tokens.Dispose();
        Directory.Delete(_elsewhere, recursive: true);
    }
}
