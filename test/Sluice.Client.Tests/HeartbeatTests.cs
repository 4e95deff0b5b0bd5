using Microsoft.Extensions.Time.Testing;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

/// <summary>
/// The heartbeat rule from the client's side: every client heartbeat carries a fresh <c>ref</c> (the server answers only
/// those, so a client that echoes the server's heartbeats cannot start a loop), and any frame from the server keeps the
/// connection alive. Time is a <see cref="FakeTimeProvider"/>: the test moves it one heartbeat interval at a time.
/// </summary>
public sealed class HeartbeatTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static SluiceClient Create(FakeServer server, FakeTimeProvider time) => TestClients.Create(server, options =>
    {
        options.TimeProvider = time;
        options.HeartbeatInterval = Interval;
        options.HeartbeatTimeout = Timeout;
    });

    /// <summary>
    /// Moves the fake clock a second at a time until <paramref name="task"/> completes (at most <paramref name="limit"/>),
    /// pausing briefly in real time between steps so the client's timers and socket reads get to run.
    /// </summary>
    private static async Task<T> AdvanceUntilAsync<T>(Task<T> task, FakeTimeProvider time, TimeSpan limit)
    {
        for (var advanced = TimeSpan.Zero; !task.IsCompleted && advanced < limit; advanced += TimeSpan.FromSeconds(1))
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(task, Task.Delay(20));
        }
        return await task;
    }

    [Fact]
    public async Task Every_heartbeat_carries_a_new_ref_and_answers_keep_the_connection_alive()
    {
        var time = new FakeTimeProvider();
        await using var server = await FakeServer.StartAsync();
        await using var client = Create(server, time);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await client.WaitUntilConnectedAsync();

        var refs = new HashSet<string>(StringComparer.Ordinal);
        // Twice the timeout in fake time: without the answers the client would have given the connection up.
        for (var i = 0; i < 2 * Timeout / Interval; i++)
        {
            var beat = await AdvanceUntilAsync(connection.ReceiveAsync(skipHeartbeats: false), time, Interval * 2);
            Assert.Equal("heartbeat", (string?)beat["type"]);
            var reference = (string?)beat["ref"];
            Assert.False(string.IsNullOrEmpty(reference), $"heartbeat without a ref: {beat.ToJsonString()}");
            Assert.True(refs.Add(reference!), $"ref {reference} was sent twice");
            await connection.SendAsync(new { type = "heartbeat", @ref = reference });
        }

        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_server_that_answers_no_heartbeat_is_given_up_after_the_timeout()
    {
        var time = new FakeTimeProvider();
        await using var server = await FakeServer.StartAsync();
        await using var client = Create(server, time);
        var states = new Recorder<ConnectionStateChangedEventArgs>();
        client.StateChanged += (_, e) => states.Add(e);
        await client.StartAsync();
        var silent = await server.NextConnectionAsync();
        await client.WaitUntilConnectedAsync();

        // The silent server answers no heartbeat; the reconnect waits for its backoff on the fake clock too.
        Assert.Equal("heartbeat", (string?)(await AdvanceUntilAsync(silent.ReceiveAsync(skipHeartbeats: false), time, Interval * 2))["type"]);
        await AdvanceUntilAsync(server.NextConnectionAsync(), time, Timeout * 2);
        await states.WaitForAsync(s => s.Any(e => e.Current == ConnectionState.Reconnecting), "reconnecting");
        Assert.IsType<TimeoutException>(states.Items.First(e => e.Current == ConnectionState.Reconnecting).Exception);
    }
}
