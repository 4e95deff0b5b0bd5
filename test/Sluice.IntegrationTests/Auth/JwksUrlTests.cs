using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;
using Sluice.Server.Hosting;
using Sluice.Tests.Auth;

namespace Sluice.IntegrationTests.Auth;

/// <summary>Keys fetched from a JWKS URL (served here by a second in-process Kestrel on loopback).</summary>
public sealed class JwksUrlTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    [Fact]
    public async Task Tokens_signed_with_a_key_of_the_jwks_url_connect()
    {
        var jwks = WebApplication.CreateSlimBuilder();
        jwks.WebHost.UseUrls("http://127.0.0.1:0");
        await using var keyServer = jwks.Build();
        var requests = 0;
        keyServer.MapGet("/jwks.json", () =>
        {
            Interlocked.Increment(ref requests);
            return Results.Content(Tokens.JwksJson(), "application/json");
        });
        await keyServer.StartAsync();
        var url = SluiceServerBuilder.Addresses(keyServer).First() + "/jwks.json";

        await Server.DisposeAsync();
        Server = await ServerHandle.StartAsync(Database, "--jwks", url, "--allow-anonymous", "false");

        await using (var rsa = await ConnectWithTokenAsync(TestTokens.Create(Tokens.RsaKey, SecurityAlgorithms.RsaSha256)))
        {
            await rsa.SendAsync(new { type = "auth", token = TestTokens.Create(Tokens.EcKey, SecurityAlgorithms.EcdsaSha256) });
            Assert.Equal("auth_ok", (await rsa.NextAsync()).GetProperty("type").GetString());
        }
        await using (var hmac = await ConnectWithTokenAsync(Tokens.Hs256()))
            await AssertRefusedAsync(hmac, ErrorCodes.InvalidToken);
        Assert.True(Volatile.Read(ref requests) >= 1);
    }

    [Fact]
    public async Task An_unreachable_jwks_url_gets_auth_unavailable_and_close_1013()
    {
        await Server.DisposeAsync();
        Server = await ServerHandle.StartAsync(Database, "--jwks", "http://127.0.0.1:1/jwks.json");

        await using var client = await ConnectWithTokenAsync(TestTokens.Create(Tokens.RsaKey, SecurityAlgorithms.RsaSha256));
        AssertError(await client.NextAsync(), ErrorCodes.AuthUnavailable);
        Assert.Equal((WebSocketCloseStatus)CloseCodes.TryAgainLater, await client.WaitForCloseAsync());

        // Anonymous connections do not need the keys.
        await using var anonymous = await TestClient.ConnectAsync(Server.WebSocketUrl);
        await anonymous.SendAsync(new { type = "heartbeat", @ref = "hb" });
        Assert.Equal("heartbeat", (await anonymous.NextAsync(skipHeartbeats: false)).GetProperty("type").GetString());
    }
}
