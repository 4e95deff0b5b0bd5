using Sluice.Client;
using Sluice.IntegrationTests.Auth;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Client;

/// <summary>The SDK against a server that refuses its token: StartAsync fails with the server's code and the client stops
/// (the default reconnect policy does not retry close 4001); a good token connects.</summary>
public sealed class SdkAuthRefusalTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    [Fact]
    public async Task A_refused_token_fails_the_start_with_the_servers_code_and_stops_the_client()
    {
        await using var client = SdkClients.Create(Server.WebSocketUrl, options => options.AccessToken = "not-a-jwt");
        var states = new List<ConnectionStateChangedEventArgs>();
        client.StateChanged += (_, e) =>
        {
            lock (states)
                states.Add(e);
        };

        var refused = await Assert.ThrowsAsync<SluiceException>(() => client.StartAsync()).WaitAsync(SdkClients.Patience);
        Assert.Equal(ErrorCodes.InvalidToken, refused.Code);
        Assert.Contains("4001", refused.Message, StringComparison.Ordinal);
        Assert.Equal(ConnectionState.Disconnected, client.State);

        await using var good = SdkClients.Create(Server.WebSocketUrl, options => options.AccessToken = Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "sdk" }));
        await good.StartAsync().WaitAsync(SdkClients.Patience);
        Assert.Equal(ConnectionState.Connected, good.State);
        await SdkClients.EventuallyAsync(() =>
        {
            lock (states)
                return states.Any(e => e.Current == ConnectionState.Disconnected);
        }, () => "the refused client's Disconnected state raised");
        lock (states)
            Assert.DoesNotContain(states, e => e.Current == ConnectionState.Connected);
    }
}
