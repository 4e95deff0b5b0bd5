using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.IntegrationTests.RowSecurity;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>Row-level security on Supabase connections: the join's access_token (else apikey) and access_token refreshes.</summary>
public sealed class SupabaseRowSecurityTests(PostgresFixture postgres) : RowSecurityTest(postgres)
{
    private static JsonObject Join(string? accessToken)
    {
        var payload = new JsonObject
        {
            ["config"] = new JsonObject
            {
                ["presence"] = new JsonObject { ["enabled"] = false },
                ["postgres_changes"] = new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "messages" }),
            },
        };
        if (accessToken is not null)
            payload["access_token"] = accessToken;
        return payload;
    }

    private static async Task<List<long>> IdsUntilAsync(PhoenixTestClient client, long lastId)
    {
        var ids = new List<long>();
        while (true)
        {
            var change = await client.NextEventAsync("postgres_changes");
            var id = change.Payload.GetProperty("data").GetProperty("record").GetProperty("id").GetInt64();
            ids.Add(id);
            if (id == lastId)
                return ids;
        }
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Changes_reach_only_what_the_joins_token_may_see(string vsn)
    {
        await CreateMessagesAsync();
        var byApiKey = await ConnectPhoenixAsync(vsn, TokenFor(1));
        var byAccessToken = await ConnectPhoenixAsync(vsn, TokenFor(1));
        var (_, first) = await byApiKey.JoinAsync("realtime:m", Join(accessToken: null));
        var (_, second) = await byAccessToken.JoinAsync("realtime:m", Join(TokenFor(2)));
        Assert.Equal("ok", first.Payload.GetProperty("status").GetString());
        Assert.Equal("ok", second.Payload.GetProperty("status").GetString());

        await InsertAsync(1, 1);
        await InsertAsync(2, 2);
        await InsertAsync(3, 1);
        await Database.ExecuteAsync("INSERT INTO public.messages VALUES (100, 1, 'last'), (101, 2, 'last')");

        Assert.Equal([1, 3, 100], await IdsUntilAsync(byApiKey, 100));
        Assert.Equal([2, 101], await IdsUntilAsync(byAccessToken, 101));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_refreshed_token_with_other_claims_makes_the_client_rejoin_and_see_its_rows(string vsn)
    {
        await CreateMessagesAsync();
        var client = await ConnectPhoenixAsync(vsn, TokenFor(1));
        var (joinRef, _) = await client.JoinAsync("realtime:m", Join(TokenFor(1)));
        await InsertAsync(1, 1);
        Assert.Equal([1], await IdsUntilAsync(client, 1));

        // Same claims, new token: nothing changes.
        await client.PushAsync("realtime:m", "access_token", new JsonObject { ["access_token"] = TokenFor(1) }, joinRef);
        await InsertAsync(2, 1);
        Assert.Equal([2], await IdsUntilAsync(client, 2));

        // Other claims: the channel errors (realtime-js then rejoins with the new token).
        await client.PushAsync("realtime:m", "access_token", new JsonObject { ["access_token"] = TokenFor(2) }, joinRef);
        var error = await client.NextEventAsync("phx_error");
        Assert.Null(error.Ref);
        var (_, rejoin) = await client.JoinAsync("realtime:m", Join(TokenFor(2)));
        Assert.Equal("ok", rejoin.Payload.GetProperty("status").GetString());
        await InsertAsync(3, 1);
        await InsertAsync(4, 2);
        Assert.Equal([4], await IdsUntilAsync(client, 4));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Invalid_tokens_are_refused_at_join_and_close_the_channel_on_refresh(string vsn)
    {
        await CreateMessagesAsync();
        var client = await ConnectPhoenixAsync(vsn, TokenFor(1));
        var (_, refused) = await client.JoinAsync("realtime:bad", Join("not-a-jwt"));
        Assert.Equal("error", refused.Payload.GetProperty("status").GetString());
        Assert.StartsWith("InvalidJWTToken", refused.Payload.GetProperty("response").GetProperty("reason").GetString());

        var (joinRef, _) = await client.JoinAsync("realtime:m", Join(accessToken: null));
        await client.PushAsync("realtime:m", "access_token", new JsonObject { ["access_token"] = "not-a-jwt" }, joinRef);
        var system = await client.NextAsync(f => f.Event == "system" && f.Payload.GetProperty("extension").GetString() == "system");
        Assert.Equal("error", system.Payload.GetProperty("status").GetString());
        var close = await client.NextEventAsync("phx_close");
        Assert.Equal(joinRef, close.Ref);
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task An_expiring_token_ends_the_channels_when_it_expires_without_a_client_message(string vsn)
    {
        await CreateMessagesAsync();
        var watcher = await ConnectPhoenixAsync(vsn, TokenFor(1));
        await watcher.JoinAsync("realtime:m", Join(accessToken: null));
        var client = await ConnectPhoenixAsync(vsn, TokenFor(1));
        var shortLived = Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "short", ["organization_id"] = 1 }, DateTime.UtcNow.AddSeconds(8));
        var (joinRef, joined) = await client.JoinAsync("realtime:m", Join(shortLived));
        Assert.Equal("ok", joined.Payload.GetProperty("status").GetString());
        await InsertAsync(1, 1);
        Assert.Equal([1], await IdsUntilAsync(client, 1));

        // The client sends nothing: the server's own timer notices the expiry.
        var system = await client.NextAsync(f => f.Event == "system" && f.Payload.GetProperty("extension").GetString() == "system");
        Assert.Equal("error", system.Payload.GetProperty("status").GetString());
        Assert.Matches(@"^Token has expired \d+ seconds ago$", system.Payload.GetProperty("message").GetString());
        Assert.Equal("m", system.Payload.GetProperty("channel").GetString());
        var close = await client.NextEventAsync("phx_close");
        Assert.Equal(joinRef, close.Ref);
        if (client.IsV2)
            Assert.Equal(joinRef, close.JoinRef);

        // Nothing is delivered after the expiry: the watcher gets the next change, the expired client does not.
        await InsertAsync(2, 1);
        Assert.Equal([1, 2], await IdsUntilAsync(watcher, 2));
        Assert.DoesNotContain(await client.RoundTripAsync(), f => f.Event == "postgres_changes");
        var (_, again) = await client.JoinAsync("realtime:m2", Join(accessToken: null));
        Assert.Equal("ok", again.Payload.GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_invalid_apikey_is_refused_at_the_upgrade()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() =>
            socket.ConnectAsync(new Uri($"ws://{Server.HttpBase.Authority}/realtime/v1/websocket?apikey=nope&vsn=2.0.0"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }
}
