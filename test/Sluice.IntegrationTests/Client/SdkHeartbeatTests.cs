using System.Diagnostics;
using Sluice.Client;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Client;

/// <summary>
/// The SDK's liveness check against the real server, whose own heartbeats are an hour apart here: the only frames that
/// reach an idle client are the answers to its heartbeats, which the server gives only because they carry a ref.
/// </summary>
public sealed class SdkHeartbeatTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(8);

    protected override string[] ServerArgs => ["--heartbeat-interval", "01:00:00"];

    [Fact]
    public async Task An_idle_sdk_client_stays_connected_on_the_answers_to_its_heartbeats()
    {
        await using var client = SdkClients.Create(Server.WebSocketUrl, options =>
        {
            options.HeartbeatInterval = TimeSpan.FromMilliseconds(250);
            options.HeartbeatTimeout = Timeout;
        });
        var lost = new List<ConnectionStateChangedEventArgs>();
        client.StateChanged += (_, e) =>
        {
            if (e.Current == ConnectionState.Reconnecting)
            {
                lock (lost)
                    lost.Add(e);
            }
        };
        await client.StartAsync();
        await client.WaitUntilConnectedAsync();

        // Idle for more than twice the timeout: without answers the client would have given the connection up by now.
        var idle = Stopwatch.StartNew();
        while (idle.Elapsed < 2 * Timeout + TimeSpan.FromSeconds(1))
            await Task.Delay(100);

        lock (lost)
            Assert.True(lost.Count == 0, lost.Count == 0 ? null : $"the connection was given up: {lost[0].Exception}");
        Assert.Equal(ConnectionState.Connected, client.State);
    }
}
