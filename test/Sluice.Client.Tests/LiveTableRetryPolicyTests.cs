using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

/// <summary>
/// A live table's HTTP reads (the fallback's polls, and whole reads of rows that arrived reduced) are retried as the
/// reconnect policy says, told how many failed in a row and for how long; when the policy stops, the table stops too
/// instead of retrying forever. Fake time: the clock moves only where a test advances it.
/// </summary>
public sealed class LiveTableRetryPolicyTests
{
    private const string Channel = Frames.Products;

    public sealed record Doc(long Id, int Version, string? Body);

    private static string Reduced(int offset, object record) =>
        Frames.Change(Channel, offset, "INSERT", record, null, txEnd: true)
            .Replace("\"schema\":\"public\"", "\"schema\":\"public\",\"too_large\":true,\"key_columns\":[\"id\"],\"omitted_columns\":[\"body\"]", StringComparison.Ordinal);

    private static IResult Unavailable() =>
        Results.Json(new { error = "the database is unavailable", code = "database_unavailable" }, statusCode: 503);

    private static SluiceClient Create(FakeServer server, FakeTimeProvider time, IReconnectPolicy policy, Action<SluiceClientOptions>? configure = null) =>
        TestClients.Create(server, options =>
        {
            options.ReconnectPolicy = policy;
            options.TimeProvider = time;
            // No heartbeat timeout while the test moves the fake clock.
            options.HeartbeatInterval = TimeSpan.FromHours(1);
            options.HeartbeatTimeout = TimeSpan.FromHours(2);
            configure?.Invoke(options);
        });


    [Fact]
    public async Task A_reduced_row_read_is_retried_as_the_policy_says_and_the_table_stops_when_it_stops()
    {
        await using var server = await FakeServer.StartAsync();
        server.Rows = (_, _) => Unavailable();
        var time = new FakeTimeProvider();
        var contexts = new Recorder<ReconnectContext>();
        // The WebSocket stays up: only the HTTP reads fail. One retry after 1 s, then stop.
        var policy = new RecordingPolicy(contexts, context => context.Attempt == 0 ? TimeSpan.FromSeconds(1) : null);
        await using var client = Create(server, time, policy);
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        var table = client.LiveTable<long, Doc>("public", "products", doc => doc.Id);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [new { id = 1, version = 0, body = "a" }], last: true, offset: Frames.Offset(1)));
        await table.WaitUntilSyncedAsync();

        await connection.SendAsync(Reduced(2, new { id = 7, version = 0 }));
        await contexts.WaitForCountAsync(1, "the first failed read");
        await TestClients.AdvanceUntilAsync(time, () => contexts.Items.Count >= 2, "the retry after the policy's delay");

        // The policy stopped: the table leaves its channel (rather than retrying every 30 s forever) ...
        var unsubscribe = await connection.ReceiveAsync();
        Assert.Equal("unsubscribe", (string?)unsubscribe["type"]);
        Assert.Equal(Channel, (string?)unsubscribe["channel"]);
        // ... says so with a stable code and the server's error ...
        await errors.WaitForAsync(items => items.Any(e => e.Code == ClientErrorCodes.LiveTableStopped), "the stop reported");
        var stopped = errors.Items.Single(e => e.Code == ClientErrorCodes.LiveTableStopped);
        Assert.Equal(Channel, stopped.Channel);
        Assert.Equal("database_unavailable", Assert.IsType<SluiceException>(stopped.Exception).Code);
        // ... and keeps the rows it had (the transaction it could not read whole is not applied).
        Assert.Equal(new Dictionary<long, Doc> { [1] = new(1, 0, "a") }, table.Rows);
        Assert.Equal(LiveTableMode.Stopped, table.Mode);
        Assert.Same(stopped.Exception, table.Failure);
        Assert.False(table.IsSynced);
        Assert.Same(table.Failure, await Assert.ThrowsAsync<SluiceException>(() => table.WaitUntilSyncedAsync()));
        Assert.Equal(2, Volatile.Read(ref server.RowRequests));
        Assert.Collection(contexts.Items,
            first =>
            {
                Assert.Equal(0, first.Attempt);
                Assert.Equal(TimeSpan.Zero, first.Elapsed);
                Assert.Equal("database_unavailable", first.ErrorCode);
                Assert.IsType<SluiceException>(first.LastError);
                Assert.Null(first.CloseStatus);
                Assert.False(first.Starting);
            },
            second =>
            {
                Assert.Equal(1, second.Attempt);
                Assert.True(second.Elapsed >= TimeSpan.FromSeconds(1), $"Elapsed {second.Elapsed} since the first failure");
                Assert.Equal("database_unavailable", second.ErrorCode);
            });
    }

    [Fact]
    public async Task Fallback_polls_that_fail_are_retried_as_the_policy_says_and_stop_when_it_stops()
    {
        await using var server = await FakeServer.StartAsync();
        server.RefuseWebSockets = true;
        server.Rows = (_, _) => Unavailable();
        var time = new FakeTimeProvider();
        var contexts = new Recorder<ReconnectContext>();
        // WebSocket attempts (refused upgrades) wait an hour; failed HTTP polls get one retry after 5 s, then stop.
        var policy = new RecordingPolicy(contexts, context => context.LastError is not SluiceException
            ? TimeSpan.FromHours(1)
            : context.Attempt == 0 ? TimeSpan.FromSeconds(5) : null);
        await using var client = Create(server, time, policy, options =>
        {
            options.FallbackAfter = TimeSpan.FromSeconds(1);
            options.FallbackPollInterval = TimeSpan.FromSeconds(1);
            options.StartInBackground = true;
        });
        var errors = new Recorder<SluiceErrorEventArgs>();
        client.Error += (_, e) => errors.Add(e);
        var table = client.LiveTable<long, Doc>("public", "products", doc => doc.Id);
        await client.StartAsync();

        await TestClients.AdvanceUntilAsync(time, () => errors.Items.Any(e => e.Code == ClientErrorCodes.LiveTableStopped), "the fallback stopped by the policy");
        var http = contexts.Items.Where(c => c.LastError is SluiceException).ToList();
        Assert.Equal([0, 1], http.Select(c => c.Attempt));
        Assert.True(http[1].Elapsed >= TimeSpan.FromSeconds(5), $"Elapsed {http[1].Elapsed}: the retry waited the policy's delay, not the poll interval");
        Assert.Equal(2, Volatile.Read(ref server.RowRequests));
        Assert.Equal(LiveTableMode.Stopped, table.Mode);
        Assert.Equal("database_unavailable", table.Failure?.Code);
        var failed = await Assert.ThrowsAsync<SluiceException>(() => table.WaitUntilSyncedAsync());
        Assert.Equal("database_unavailable", failed.Code);
    }

}
