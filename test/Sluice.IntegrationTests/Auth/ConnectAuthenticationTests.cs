using Microsoft.IdentityModel.Tokens;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;
using Sluice.Tests.Auth;

namespace Sluice.IntegrationTests.Auth;

public sealed class ConnectAuthenticationTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    private async Task AssertStreamsAsync(TestClient client, long id)
    {
        await client.SubscribeAsync("table:public.items");
        await Database.ExecuteAsync("INSERT INTO items VALUES ($1, 'x')", id);
        Assert.Equal(id, (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_valid_token_in_the_query_string_or_a_bearer_header_connects()
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        await using (var byQuery = await ConnectWithTokenAsync(Tokens.Hs256()))
            await AssertStreamsAsync(byQuery, 1);
        await using (var byHeader = await ConnectWithBearerAsync(Tokens.Hs256()))
            await AssertStreamsAsync(byHeader, 2);
    }

    [Theory]
    [InlineData(SecurityAlgorithms.RsaSha256)]
    [InlineData(SecurityAlgorithms.EcdsaSha256)]
    public async Task Tokens_signed_with_a_key_of_the_jwks_file_connect(string algorithm)
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        var key = algorithm == SecurityAlgorithms.RsaSha256 ? Tokens.RsaKey : Tokens.EcKey;
        await using var client = await ConnectWithBearerAsync(TestTokens.Create(key, algorithm));
        await AssertStreamsAsync(client, 1);
    }

    [Fact]
    public async Task Without_a_token_the_connection_is_anonymous_by_default()
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        var client = await ConnectAsync();
        await AssertStreamsAsync(client, 1);
    }

    public static TheoryData<string, string> BadTokens()
    {
        using var tokens = new TestTokens();
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var valid = tokens.Hs256();
        var parts = valid.Split('.');
        return new TheoryData<string, string>
        {
            { tokens.Hs256(expires: DateTime.UtcNow.AddMinutes(-1)), ErrorCodes.TokenExpired },
            { TestTokens.Unsigned(new { sub = "admin", role = "service_role", exp = future }), ErrorCodes.InvalidToken },
            { $"{parts[0]}.{parts[1]}.{parts[2][..^4]}AAAA", ErrorCodes.InvalidToken },
            { TestTokens.Create(new SymmetricSecurityKey("a-different-secret-of-at-least-32-bytes"u8.ToArray())), ErrorCodes.InvalidToken },
            { TestTokens.Create(tokens.HmacKey, expires: DateTime.UtcNow.AddHours(2), notBefore: DateTime.UtcNow.AddHours(1)), ErrorCodes.InvalidToken },
            { tokens.Hs256(new Dictionary<string, object> { ["role"] = "x; RESET ROLE" }), ErrorCodes.InvalidToken },
            { "not.a.jwt", ErrorCodes.InvalidToken },
        };
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_gets_an_error_frame_with_its_code_and_close_4001(string token, string code)
    {
        await using (var byQuery = await ConnectWithTokenAsync(token))
            await AssertRefusedAsync(byQuery, code);
        await using (var byHeader = await ConnectWithBearerAsync(token))
            await AssertRefusedAsync(byHeader, code);
        Assert.Equal(0, (await Server.StatsAsync()).GetProperty("connections").GetInt32());
    }

    [Fact]
    public async Task Different_tokens_in_the_query_and_the_header_are_refused()
    {
        await using var client = await TestClient.ConnectAsync(new Uri($"{Server.WebSocketUrl}?token={Tokens.Hs256()}"),
            configure: options => options.SetRequestHeader("Authorization", "Bearer " + Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "someone-else" })));
        await AssertRefusedAsync(client, ErrorCodes.InvalidToken);
    }
}

public sealed class IssuerAndAudienceTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    protected override string[] MoreServerArgs => ["--jwt-issuer", "https://issuer.test", "--jwt-audience", "sluice"];

    [Fact]
    public async Task Only_tokens_for_the_configured_issuer_and_audience_connect()
    {
        await using (var good = await ConnectWithTokenAsync(TestTokens.Create(Tokens.HmacKey, issuer: "https://issuer.test", audience: "sluice")))
        {
            await good.SendAsync(new { type = "heartbeat", @ref = "hb" });
            Assert.Equal("heartbeat", (await good.NextAsync(skipHeartbeats: false)).GetProperty("type").GetString());
        }
        await using (var wrongIssuer = await ConnectWithTokenAsync(TestTokens.Create(Tokens.HmacKey, issuer: "https://evil.test", audience: "sluice")))
            await AssertRefusedAsync(wrongIssuer, ErrorCodes.InvalidToken);
        await using (var wrongAudience = await ConnectWithTokenAsync(TestTokens.Create(Tokens.HmacKey, issuer: "https://issuer.test", audience: "other")))
            await AssertRefusedAsync(wrongAudience, ErrorCodes.InvalidToken);
    }
}

public sealed class AnonymousRefusedTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    protected override string[] MoreServerArgs => ["--allow-anonymous", "false"];

    [Fact]
    public async Task Without_a_token_the_connection_is_refused_with_unauthorized_and_with_one_it_connects()
    {
        await using (var anonymous = await TestClient.ConnectAsync(Server.WebSocketUrl))
            await AssertRefusedAsync(anonymous, ErrorCodes.Unauthorized);
        await using (var emptyToken = await TestClient.ConnectAsync(new Uri(Server.WebSocketUrl + "?token=")))
            await AssertRefusedAsync(emptyToken, ErrorCodes.Unauthorized);

        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        await using var client = await ConnectWithTokenAsync(Tokens.Hs256());
        await client.SubscribeAsync("table:public.items");
    }
}
