using Sluice.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.Capture;

/// <summary>
/// A PostgreSQL restart with Sluice attached is like a network cut: Sluice must not hold up the shutdown (the walsender
/// waits for its client to confirm all WAL, and Sluice deliberately confirms only what left its retention window), so it
/// lets go of the replication connection as soon as the database says it is shutting down, reconnects once it is back
/// and resumes where it was. Clients keep their connections to Sluice and receive every change exactly once.
/// </summary>
public sealed class PostgresRestartTests(ITestOutputHelper output)
{
    /// <summary>A hang guard for pg_ctl: without Sluice a fast restart takes well under a second.</summary>
    private static readonly TimeSpan RestartPatience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_fast_restart_is_not_held_up_and_every_subscriber_gets_every_change_exactly_once()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var database = await postgres.CreateDatabaseAsync();
        // Changes must not age out of the window in this test; the WAL heartbeat keeps the slot's stream busy.
        await using var server = await ServerHandle.StartAsync(database, "--wal-heartbeat-interval", "00:00:00.500");
        await database.ExecuteAsync("CREATE TABLE public.items (id bigint PRIMARY KEY, note text)");
        await database.ExecuteAsync("SELECT enable_realtime('public', 'items')");

        var clients = new List<TestClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = await server.ConnectAsync();
                clients.Add(client);
                await client.SubscribeAsync("table:public.items");
            }
            for (var id = 1; id <= 20; id++)
                await database.ExecuteAsync("INSERT INTO public.items VALUES ($1, 'before')", (long)id);
            foreach (var client in clients)
                await ExpectIdsAsync(client, 1, 20);

            var (took, succeeded, text) = await postgres.RestartAsync("fast", RestartPatience);
            output.WriteLine($"pg_ctl restart -m fast with Sluice attached took {took.TotalSeconds:F2} s");
            Assert.True(succeeded, $"pg_ctl restart -m fast did not finish within {RestartPatience.TotalSeconds} s (took {took.TotalSeconds:F1} s): {text}");

            for (var id = 21; id <= 40; id++)
                await database.ExecuteAsync("INSERT INTO public.items VALUES ($1, 'after')", (long)id);
            // Exactly once: the next changes are 21..40 in order, nothing from before repeated, nothing skipped.
            foreach (var client in clients)
                await ExpectIdsAsync(client, 21, 40);
            Assert.All(clients, client => Assert.Null(client.CloseStatus));
        }
        finally
        {
            foreach (var client in clients)
                await client.DisposeAsync();
        }
    }

    private static async Task ExpectIdsAsync(TestClient client, long first, long last)
    {
        for (var id = first; id <= last; id++)
        {
            var change = await client.NextChangeAsync();
            Assert.Equal(id, change.GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
        }
    }
}
