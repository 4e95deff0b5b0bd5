using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

public sealed class ConnectionLifecycleTests
{
    [Fact]
    public async Task States_go_from_connecting_to_connected_to_reconnecting_and_end_closed()
    {
        await using var server = await FakeServer.StartAsync();
        var client = TestClients.Create(server);
        var states = new Recorder<ConnectionState>();
        client.StateChanged += (_, e) => states.Add(e.Current);
        Assert.Equal(ConnectionState.Disconnected, client.State);

        await client.StartAsync();
        var first = await server.NextConnectionAsync();
        await client.WaitUntilConnectedAsync();
        first.Abort();
        await server.NextConnectionAsync();
        await states.WaitForAsync(s => s.Count(x => x == ConnectionState.Connected) == 2, "connected twice");
        await client.DisposeAsync();

        Assert.Equal(ConnectionState.Closed, client.State);
        await states.WaitForAsync(s => s.Contains(ConnectionState.Closed), "closed raised");
        Assert.Equal(
            [ConnectionState.Connecting, ConnectionState.Connected, ConnectionState.Reconnecting, ConnectionState.Connected,
             ConnectionState.Disconnected, ConnectionState.Closed],
            states.Items);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.WaitUntilConnectedAsync());
    }

    [Fact]
    public async Task A_server_close_with_going_away_or_slow_consumer_is_followed_by_a_reconnect()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        await client.StartAsync();
        await (await server.NextConnectionAsync()).CloseAsync(1001, "server shutting down");
        await (await server.NextConnectionAsync()).CloseAsync(4008, "slow consumer");
        await server.NextConnectionAsync();
        await client.WaitUntilConnectedAsync();
    }

    [Fact]
    public async Task Property_changed_is_raised_for_state()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var names = new Recorder<string?>();
        client.PropertyChanged += (_, e) => names.Add(e.PropertyName);
        await client.StartAsync();
        await server.NextConnectionAsync();
        await names.WaitForCountAsync(2, "Connecting and Connected");
        Assert.All(names.Items, name => Assert.Equal(nameof(SluiceClient.State), name));
    }

    [Fact]
    public async Task A_dead_connection_is_detected_by_the_heartbeat_timeout_and_replaced()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server, options =>
        {
            // The timeout is far above the interval so that a loaded machine (CI runs test projects in parallel) does
            // not make the answering server below look dead too.
            options.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            options.HeartbeatTimeout = TimeSpan.FromSeconds(2);
        });
        var states = new Recorder<ConnectionStateChangedEventArgs>();
        client.StateChanged += (_, e) => states.Add(e);
        await client.StartAsync();

        // The silent server reads the client's heartbeats but never answers: no traffic reaches the client.
        var silent = await server.NextConnectionAsync();
        var heartbeat = await silent.ReceiveAsync(skipHeartbeats: false);
        Assert.Equal("heartbeat", (string?)heartbeat["type"]);

        var replacement = await server.NextConnectionAsync();
        await states.WaitForAsync(s => s.Any(e => e.Current == ConnectionState.Reconnecting), "reconnecting");
        Assert.IsType<TimeoutException>(states.Items.First(e => e.Current == ConnectionState.Reconnecting).Exception);

        // A server that answers keeps the connection: after many heartbeat intervals, still the same connection.
        var answered = 0;
        while (answered < 10)
        {
            var frame = await replacement.ReceiveAsync(skipHeartbeats: false);
            if ((string?)frame["type"] == "heartbeat")
            {
                await replacement.SendAsync(Frames.Heartbeat());
                answered++;
            }
        }
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(1, states.Items.Count(e => e.Current == ConnectionState.Reconnecting));
    }

    [Fact]
    public async Task Dispose_while_reconnecting_ends_the_client()
    {
        var server = await FakeServer.StartAsync();
        var client = TestClients.Create(server);
        var states = new Recorder<ConnectionState>();
        client.StateChanged += (_, e) => states.Add(e.Current);
        await client.StartAsync();
        await server.NextConnectionAsync();
        await client.WaitUntilConnectedAsync();
        await server.DisposeAsync();
        await states.WaitForAsync(s => s.Contains(ConnectionState.Reconnecting), "reconnecting");

        await client.DisposeAsync();

        Assert.Equal(ConnectionState.Closed, client.State);
        Assert.Throws<ObjectDisposedException>(() => client.Table("public", "products"));
    }

    [Fact]
    public async Task The_access_token_provider_is_asked_before_every_connection()
    {
        await using var server = await FakeServer.StartAsync();
        var calls = 0;
        await using var client = TestClients.Create(server, options =>
            options.AccessTokenProvider = _ => ValueTask.FromResult<string?>("token-" + Interlocked.Increment(ref calls)));
        await client.StartAsync();
        var first = await server.NextConnectionAsync();
        Assert.Equal("?token=token-1", first.Query);
        first.Abort();
        var second = await server.NextConnectionAsync();
        Assert.Equal("?token=token-2", second.Query);
    }

    [Fact]
    public async Task A_throwing_token_provider_or_a_garbled_frame_never_stops_reconnection()
    {
        await using var server = await FakeServer.StartAsync();
        var calls = 0;
        await using var client = TestClients.Create(server, options =>
            options.AccessTokenProvider = _ => Interlocked.Increment(ref calls) == 1
                ? throw new InvalidOperationException("token service down")
                : ValueTask.FromResult<string?>("ok"));
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        client.Table("public", "products");
        await client.StartAsync();

        var connection = await server.NextConnectionAsync();
        Assert.Equal("?token=ok", connection.Query);
        await connection.ReceiveSubscribeAsync();
        await connection.SendAsync("not json");
        await connection.AckAsync(Frames.Products);
        await connection.SendAsync("{\"type\":\"snapshot\",\"channel\":\"table:public.products\",\"rows\":7}");
        await connection.SendAsync("{\"type\":\"broadcast\",\"channel\":\"table:public.products\"}");
        await errors.WaitForCountAsync(1, "the garbled frame reported");
        Assert.Equal(ClientErrorCodes.InvalidFrame, errors.Items[0].Code);
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Fact]
    public void Invalid_options_are_refused_with_the_setting_named()
    {
        var noUrl = Assert.Throws<ArgumentException>(() => new SluiceClient(new SluiceClientOptions()));
        Assert.Equal("Url", noUrl.ParamName);
        var http = Assert.Throws<ArgumentException>(() => new SluiceClient(new SluiceClientOptions { Url = new Uri("http://localhost/realtime") }));
        Assert.Equal("Url", http.ParamName);
        var heartbeat = Assert.Throws<ArgumentException>(() => new SluiceClient(new SluiceClientOptions
        {
            Url = new Uri("ws://localhost/realtime"),
            HeartbeatInterval = TimeSpan.FromSeconds(10),
            HeartbeatTimeout = TimeSpan.FromSeconds(5),
        }));
        Assert.Equal("HeartbeatTimeout", heartbeat.ParamName);
    }
}
