using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Tests.Auth;

namespace Sluice.IntegrationTests.Auth;

/// <summary>Issue 15, item 9: a signed token whose <c>exp</c> lies past the year 9999 is handled, not a connection abort (1006).</summary>
public sealed class FarFutureExpiryTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    /// <summary>A clock skew is added to every expiry: what overflowed.</summary>
    protected override string[] MoreServerArgs => ["--jwt-clock-skew", "00:01:00"];

    private static string TokenExpiringInTheYear10000 =>
        TestTokens.RawHs256("""{"alg":"HS256","typ":"JWT"}""", """{"sub":"far-future","exp":253402300800}""");

    [Fact]
    public async Task A_native_connection_with_it_streams()
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        await using var client = await ConnectWithTokenAsync(TokenExpiringInTheYear10000);
        await client.SubscribeAsync("table:public.items");
        await Database.ExecuteAsync("INSERT INTO items VALUES (1, 'x')");
        Assert.Equal(1, (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
        // A refresh with it works too.
        await client.SendAsync(new { type = "auth", token = TokenExpiringInTheYear10000 });
        Assert.Equal("auth_ok", (await client.NextAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_supabase_connection_with_it_joins_and_streams()
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        var client = await ConnectPhoenixAsync("2.0.0", TokenExpiringInTheYear10000);
        var (_, reply) = await client.JoinAsync("realtime:items", new JsonObject
        {
            ["access_token"] = TokenExpiringInTheYear10000,
            ["config"] = new JsonObject
            {
                ["postgres_changes"] = new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "items" }),
            },
        });
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        await Database.ExecuteAsync("INSERT INTO items VALUES (1, 'x')");
        var change = await client.NextEventAsync("postgres_changes");
        Assert.Equal(1, change.Payload.GetProperty("data").GetProperty("record").GetProperty("id").GetInt64());
    }
}
