using Microsoft.Extensions.Time.Testing;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

/// <summary>StartAsync, StopAsync and the reconnect policy, like SignalR's HubConnection: a start completes when the server
/// accepted the connection, and fails when the policy gives up.</summary>
public sealed class StartStopTests
{
    [Fact]
    public async Task StartAsync_completes_only_once_the_server_accepted_the_connection()
    {
        await using var server = await FakeServer.StartAsync();
        server.AnswerHandshake = false;
        await using var client = TestClients.Create(server);

        var start = client.StartAsync();
        var connection = await server.NextConnectionAsync();
        Assert.False(start.IsCompleted, "StartAsync completed before the server answered the connection's first heartbeat");
        Assert.NotEqual(ConnectionState.Connected, client.State);

        await connection.AcceptHandshakeAsync();
        await start;
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task StartAsync_throws_the_servers_code_when_the_token_is_refused_and_does_not_retry()
    {
        await using var server = await FakeServer.StartAsync();
        server.AnswerHandshake = false;
        await using var client = TestClients.Create(server, options => options.AccessToken = "bad");
        var states = new Recorder<ConnectionStateChangedEventArgs>();
        client.StateChanged += (_, e) => states.Add(e);

        var start = client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveAsync(skipHeartbeats: false);
        await connection.RefuseAsync("invalid_token", 4001);

        var refused = await Assert.ThrowsAsync<SluiceException>(() => start);
        Assert.Equal("invalid_token", refused.Code);
        Assert.Contains("4001", refused.Message, StringComparison.Ordinal);
        Assert.Equal(ConnectionState.Disconnected, client.State);
        await states.WaitForAsync(s => s.Any(e => e.Current == ConnectionState.Disconnected), "disconnected raised");
        Assert.Same(refused, states.Items.Last(e => e.Current == ConnectionState.Disconnected).Exception);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_cancelled_StartAsync_throws_and_leaves_the_client_stopped()
    {
        await using var server = await FakeServer.StartAsync();
        server.RefuseWebSockets = true;
        await using var client = TestClients.Create(server);
        using var cancel = new CancellationTokenSource();

        var start = client.StartAsync(cancel.Token);
        Assert.False(start.IsCompleted, "StartAsync completed while every WebSocket upgrade is refused");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => start);
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task Errors_past_the_queue_capacity_are_counted_and_reported_never_dropped_silently()
    {
        const int capacity = SluiceClient.ErrorQueueCapacity;
        await using var client = new SluiceClient(new SluiceClientOptions { Url = new Uri("ws://127.0.0.1:1/realtime") });
        var release = new ManualResetEventSlim();
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) =>
        {
            // The first handler call holds the dispatcher until every error below was reported.
            release.Wait();
            errors.Add(e);
        };

        for (var i = 0; i < capacity + 5; i++)
            client.ReportError("test_error", $"error {i}", null);
        release.Set();

        await errors.WaitForAsync(items => items.Any(e => e.Code == ClientErrorCodes.EventsDropped), "the overflow reported");
        await errors.WaitForCountAsync(capacity + 1, "every queued error raised");
        Assert.Equal(capacity, errors.Items.Count(e => e.Code == "test_error"));
        Assert.Contains("5 errors", Assert.Single(errors.Items, e => e.Code == ClientErrorCodes.EventsDropped).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_closes_the_connection_normally_and_fails_a_waiting_start()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();

        await client.StopAsync(CancellationToken.None);
        Assert.Equal(ConnectionState.Disconnected, client.State);
        await Assert.ThrowsAsync<ClientClosedException>(() => connection.ReceiveAsync());

        // A start still waiting for its connection throws when the client is stopped meanwhile.
        server.AnswerHandshake = false;
        var start = client.StartAsync();
        await server.NextConnectionAsync();
        using var alreadyCancelled = new CancellationTokenSource();
        await alreadyCancelled.CancelAsync();
        await client.StopAsync(alreadyCancelled.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => start);
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task StopAsync_waits_for_the_servers_close_reply_before_it_completes()
    {
        await using var server = await FakeServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var client = TestClients.Create(server, options => options.TimeProvider = time);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        connection.AnswerClose = false;

        var stop = client.StopAsync(CancellationToken.None);
        await Assert.ThrowsAsync<ClientClosedException>(() => connection.ReceiveAsync());
        // The close frame arrived and the server has not answered (fake time stands still, so no timeout either): a
        // graceful stop is still waiting, as ClientWebSocket.CloseAsync does. The grace below only gives a wrong
        // (non-waiting) stop the time to show itself; a right one cannot complete in it.
        await Task.WhenAny(stop, Task.Delay(TimeSpan.FromMilliseconds(300), TimeProvider.System));
        Assert.False(stop.IsCompleted, "StopAsync completed before the server answered the close");
        Assert.Equal(ConnectionState.Connected, client.State);

        await connection.CloseAsync(1000, "bye");
        await stop.WaitAsync(FakeServer.Patience, TimeProvider.System);
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task StopAsync_gives_up_waiting_for_a_close_reply_after_the_close_timeout_or_when_cancelled()
    {
        await using var server = await FakeServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var client = TestClients.Create(server, options => options.TimeProvider = time);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        connection.AnswerClose = false;

        // A server that never answers: the stop ends after SluiceClient.CloseTimeout of (fake) time.
        var stop = client.StopAsync(CancellationToken.None);
        await Assert.ThrowsAsync<ClientClosedException>(() => connection.ReceiveAsync());
        await TestClients.EventuallyAsync(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            return stop.IsCompleted;
        }, "the stop after the close timeout");
        await stop;
        Assert.True(time.GetUtcNow() - time.Start >= SluiceClient.CloseTimeout, "the stop waited less than the close timeout");
        Assert.Equal(ConnectionState.Disconnected, client.State);

        // The token cuts the wait short: the client is stopped all the same.
        await client.StartAsync();
        var second = await server.NextConnectionAsync();
        second.AnswerClose = false;
        using var cancel = new CancellationTokenSource();
        var cancelled = client.StopAsync(cancel.Token);
        await Assert.ThrowsAsync<ClientClosedException>(() => second.ReceiveAsync());
        await cancel.CancelAsync();
        await cancelled.WaitAsync(FakeServer.Patience, TimeProvider.System);
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task The_reconnect_policy_is_told_the_close_code_and_error_and_can_stop()
    {
        await using var server = await FakeServer.StartAsync();
        var contexts = new Recorder<ReconnectContext>();
        var policy = new RecordingPolicy(contexts, context => context.CloseStatus == 4008 ? TimeSpan.Zero : null);
        // Fake time: the policy's zero delay is all the client waits; nothing depends on the wall clock.
        await using var client = TestClients.Create(server, options =>
        {
            options.ReconnectPolicy = policy;
            options.TimeProvider = new FakeTimeProvider();
        });
        var states = new Recorder<ConnectionStateChangedEventArgs>();
        client.StateChanged += (_, e) => states.Add(e);
        await client.StartAsync();

        await (await server.NextConnectionAsync()).CloseAsync(4008, "slow consumer");
        var second = await server.NextConnectionAsync();
        await second.RefuseAsync("rate_limited", 4029);

        await states.WaitForAsync(s => s.Any(e => e.Current == ConnectionState.Disconnected), "stopped by the policy");
        Assert.Collection(contexts.Items,
            first =>
            {
                Assert.Equal(4008, first.CloseStatus);
                Assert.Equal("slow consumer", first.CloseDescription);
                Assert.Null(first.ErrorCode);
                Assert.Equal(0, first.Attempt);
                Assert.False(first.Starting);
            },
            last =>
            {
                Assert.Equal(4029, last.CloseStatus);
                Assert.Equal("rate_limited", last.ErrorCode);
                // The first connection ended at once (fake time stands still): one attempt in a row before this one.
                Assert.Equal(1, last.Attempt);
            });
        var stopped = Assert.IsType<SluiceException>(states.Items.Last().Exception);
        Assert.Equal("rate_limited", stopped.Code);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Connections_the_server_ends_at_once_count_as_attempts_in_a_row_and_a_stable_one_starts_again()
    {
        await using var server = await FakeServer.StartAsync();
        var contexts = new Recorder<ReconnectContext>();
        var policy = new RecordingPolicy(contexts, _ => contexts.Items.Count < 3 ? TimeSpan.Zero : null);
        var time = new FakeTimeProvider();
        await using var client = TestClients.Create(server, options =>
        {
            options.ReconnectPolicy = policy;
            options.TimeProvider = time;
        });
        var states = new Recorder<ConnectionStateChangedEventArgs>();
        client.StateChanged += (_, e) => states.Add(e);
        await client.StartAsync();

        // Accepted and closed at once, twice: a server shedding every new connection must not be reconnected to with the
        // first attempt's delay (for 4008 the default policy's is zero) forever.
        await (await server.NextConnectionAsync()).CloseAsync(4008, "slow consumer");
        await (await server.NextConnectionAsync()).CloseAsync(4008, "slow consumer");
        // A connection that stays up for StableConnection starts the count again.
        var third = await server.NextConnectionAsync();
        await states.WaitForAsync(s => s.Count(e => e.Current == ConnectionState.Connected) == 3, "the third connection accepted");
        time.Advance(SluiceClient.StableConnection);
        await third.CloseAsync(4008, "slow consumer");

        await states.WaitForAsync(s => s.Any(e => e.Current == ConnectionState.Disconnected), "stopped by the policy");
        Assert.Equal([0, 1, 0], contexts.Items.Select(c => c.Attempt));
    }

    [Fact]
    public async Task Options_are_copied_when_the_client_is_built()
    {
        await using var server = await FakeServer.StartAsync();
        var builder = new SluiceClientBuilder().WithUrl(server.Url).WithAccessToken("first");
        await using var client = builder.Build();
        builder.WithAccessToken("changed").WithUrl("ws://127.0.0.1:1/realtime");

        await client.StartAsync();
        Assert.Equal("?token=first", (await server.NextConnectionAsync()).Query);
        Assert.Equal(server.Url, client.Url);
    }

}
