using Sluice.Client.Tests.Fakes;
using Sluice.Protocol;

namespace Sluice.Client.Tests;

public sealed class TokenRefreshTests
{
    [Fact]
    public async Task An_expired_token_is_replaced_on_the_live_connection_and_refused_channels_subscribe_again()
    {
        await using var server = await FakeServer.StartAsync();
        var calls = 0;
        await using var client = TestClients.Create(server, options =>
            options.AccessTokenProvider = _ => ValueTask.FromResult<string?>("token-" + Interlocked.Increment(ref calls)));
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        var products = client.Table("public", "products");
        var seen = new Recorder<string>();
        products.OnChange(change => seen.Add(change.Offset));
        await client.StartAsync();

        var connection = await server.NextConnectionAsync();
        Assert.Equal("?token=token-1", connection.Query);
        await connection.ReceiveSubscribeAsync();
        // The token expired before the subscribe was handled: the subscribe is refused, delivery is paused.
        await connection.SendAsync(Frames.Error(Frames.Products, ErrorCodes.TokenExpired, "the access token expired"));

        var auth = await connection.ReceiveAsync();
        Assert.Equal("auth", (string?)auth["type"]);
        Assert.Equal("token-2", (string?)auth["token"]);
        await connection.SendAsync(new { type = "auth_ok", role = "authenticated" });

        // Same connection: the refused channel subscribes again and then streams.
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Frames.Products);
        await connection.SendAsync(Frames.Insert(Frames.Products, 1, new { id = 1 }));
        await seen.WaitForCountAsync(1, "the change after the refresh");
        await errors.WaitForCountAsync(1, "the refusal reported to the application");
        Assert.Equal(ErrorCodes.TokenExpired, errors.Items[0].Code);
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task A_fixed_token_that_expired_is_not_sent_again_and_the_application_is_told()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server, options => options.AccessToken = "fixed");
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        await client.StartAsync();

        var connection = await server.NextConnectionAsync();
        await connection.SendAsync(new { type = "error", code = ErrorCodes.TokenExpired, error = "the access token expired" });
        await errors.WaitForCountAsync(2, "the server's notice and the client's own");
        Assert.All(errors.Items, e => Assert.Equal(ErrorCodes.TokenExpired, e.Code));
        Assert.Contains(errors.Items, e => e.Message.Contains("RefreshAccessTokenAsync", StringComparison.Ordinal));
        Assert.False(await client.RefreshAccessTokenAsync());
    }
}
