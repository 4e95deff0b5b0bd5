using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Auth;

public sealed class TokenRefreshTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    [Fact]
    public async Task A_valid_auth_frame_is_confirmed_with_the_new_role_and_expiry()
    {
        await using var client = await ConnectWithTokenAsync(Tokens.Hs256());
        var expires = DateTime.UtcNow.AddHours(2);
        await client.SendAsync(new { type = "auth", token = Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "user-1", ["role"] = "editor" }, expires) });

        var ok = await client.NextAsync();
        Assert.Equal("auth_ok", ok.GetProperty("type").GetString());
        Assert.Equal("editor", ok.GetProperty("role").GetString());
        Assert.Equal(new DateTimeOffset(expires).ToUnixTimeSeconds(), ok.GetProperty("expires_at").GetInt64());
    }

    [Fact]
    public async Task An_anonymous_connection_can_authenticate_later()
    {
        var client = await ConnectAsync();
        await client.SendAsync(new { type = "auth", token = Tokens.Hs256() });
        var ok = await client.NextAsync();
        Assert.Equal("auth_ok", ok.GetProperty("type").GetString());
        Assert.Equal("authenticated", ok.GetProperty("role").GetString());
    }

    [Theory]
    [InlineData("""{"type":"auth"}""", ErrorCodes.MissingField)]
    [InlineData("""{"type":"auth","token":""}""", ErrorCodes.MissingField)]
    [InlineData("""{"type":"auth","token":7}""", ErrorCodes.InvalidField)]
    [InlineData("""{"type":"auth","token":"garbage"}""", ErrorCodes.InvalidToken)]
    public async Task A_bad_auth_frame_is_refused_and_the_connection_keeps_streaming(string frame, string code)
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        await using var client = await ConnectWithTokenAsync(Tokens.Hs256());
        await client.SubscribeAsync("table:public.items");

        await client.SendTextAsync(frame);
        AssertError(await client.NextAsync(), code);
        await client.SendAsync(new { type = "auth", token = Tokens.Hs256(expires: DateTime.UtcNow.AddMinutes(-1)) });
        AssertError(await client.NextAsync(), ErrorCodes.TokenExpired);

        await Database.ExecuteAsync("INSERT INTO items VALUES (1, 'still here')");
        Assert.Equal("still here", (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("name").GetString());
    }
}
