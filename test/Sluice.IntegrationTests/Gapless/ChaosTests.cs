using CsCheck;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>
/// The headline property: whatever the interleaving of writes, cuts, resumes, late joins and server kills, every
/// replica ends up equal to the table, never sees a change twice and never sees a row go back in time.
/// Few iterations (each is a whole server run); on failure CsCheck prints the seed — rerun with
/// <c>CsCheck_Seed=…</c> to get the same schedule (the thread interleaving is, of course, not replayed).
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class ChaosTests(PostgresFixture postgres)
{
    /// <summary>A retention window far larger than a run, so no replica may be asked to resync.</summary>
    private static readonly string[] LargeRetention = ["--retention-changes", "10000000"];

    [Fact]
    public async Task Replicas_converge_under_cuts_resumes_and_concurrent_writes() =>
        await ChaosSchedule.Generator(minKills: 0, maxKills: 0).SampleAsync(async schedule =>
        {
            await using var database = await postgres.CreateDatabaseAsync();
            await using var server = await ServerHandle.StartAsync(database, LargeRetention);
            var table = await VersionedTable.CreateAsync(database, "chaos", schedule.Preload);
            await ChaosRun.RunAsync(schedule, table, () => server.WebSocketUrl);
        }, iter: 2, threads: 1, print: schedule => schedule.ToString());

    [Fact]
    public async Task Replicas_converge_when_the_server_is_killed_and_restarted() =>
        await ChaosSchedule.Generator(minKills: 1, maxKills: 2).SampleAsync(async schedule =>
        {
            await using var database = await postgres.CreateDatabaseAsync();
            await using var server = await ServerProcess.StartAsync(database, LargeRetention);
            var table = await VersionedTable.CreateAsync(database, "chaos", schedule.Preload);
            try
            {
                await ChaosRun.RunAsync(schedule, table, () => server.WebSocketUrl, writers => KillAndRestartAsync(server, writers, schedule));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"{ex.Message}\n--- server output ---\n{server.Output}", ex);
            }
        }, iter: 2, threads: 1, print: schedule => schedule.ToString());

    [Fact]
    public async Task Replicas_converge_when_bursts_larger_than_the_queue_make_them_fall_behind() =>
        await ChaosSchedule.Generator(minKills: 0, maxKills: 0).SampleAsync(async schedule =>
        {
            await using var database = await postgres.CreateDatabaseAsync();
            // The smallest queue the server allows: live changes stop at 12 frames, so each burst below makes every
            // subscribed replica fall behind and catch up from the log, while the writers and the cuts go on.
            await using var server = await ServerHandle.StartAsync(database, [.. LargeRetention, "--queue-frames", "16"]);
            var table = await VersionedTable.CreateAsync(database, "chaos", schedule.Preload);
            // One subscriber that never cuts, so that the bursts always find someone to overflow.
            await using var steady = await TestClient.ConnectAsync(server.WebSocketUrl);
            await steady.SubscribeAsync(table.Channel);
            await ChaosRun.RunAsync(schedule, table, () => server.WebSocketUrl, writers => BurstsAsync(table, writers, schedule));
            var metrics = new Observability.PrometheusText(await server.Http.GetStringAsync("/metrics"));
            Assert.True(metrics.Required("sluice_fell_behind_total") >= 1, metrics.Text);
            Assert.Equal(0, metrics.Required("sluice_slow_consumer_disconnects_total"));
        }, iter: 4, threads: 1, print: schedule => schedule.ToString());

    /// <summary>
    /// Between the writers' transactions: three times, 200 rows inserted in one transaction, all updated in one, half
    /// deleted in one (ids below the writers' and the marker's, never reused).
    /// </summary>
    private static async Task BurstsAsync(VersionedTable table, WriterPool writers, ChaosSchedule schedule)
    {
        var random = new Random(schedule.Seed ^ 0xB0B);
        for (var burst = 0; burst < 3; burst++)
        {
            var last = -1_000 * (burst + 1);
            var first = last - 199;
            await writers.WaitForCommitsAsync(writers.Commits + random.Next(50, schedule.Commits / 4));
            await table.TransactionAsync($"INSERT INTO {table.Name} SELECT g, 0, 'burst' FROM generate_series({first}, {last}) g;");
            await table.TransactionAsync($"UPDATE {table.Name} SET version = version + 1 WHERE id BETWEEN {first} AND {last};");
            await table.TransactionAsync($"DELETE FROM {table.Name} WHERE id BETWEEN {first} AND {last} AND id % 2 = 0;");
        }
    }

    private static async Task KillAndRestartAsync(ServerProcess server, WriterPool writers, ChaosSchedule schedule)
    {
        var random = new Random(schedule.Seed ^ 0x5EED);
        for (var kill = 0; kill < schedule.Kills; kill++)
        {
            await writers.WaitForCommitsAsync(writers.Commits + random.Next(100, schedule.Commits / (schedule.Kills + 1)));
            server.Kill();
            // The writers go on while the server is down: the restarted server must pick this up from the slot.
            await writers.WaitForCommitsAsync(writers.Commits + random.Next(20, 300));
            await server.RestartAsync();
        }
    }
}
