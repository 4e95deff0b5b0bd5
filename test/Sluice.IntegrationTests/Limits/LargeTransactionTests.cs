using System.Globalization;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.IntegrationTests.Observability;

namespace Sluice.IntegrationTests.Limits;

/// <summary>
/// The outbound queue's frame limit is for a client that does not read. A transaction of more rows than the limit, sent to
/// clients that do read, is not that: no subscriber may be closed for it, and each receives the whole transaction, in
/// order, once, then live changes.
/// </summary>
public sealed class LargeTransactionTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private const int QueueFrames = 64;

    [Fact]
    public async Task A_transaction_of_many_times_the_queue_limit_reaches_every_reading_subscriber_whole_and_closes_none()
    {
        const int rows = 40 * QueueFrames;
        const int subscribers = 8;
        await using var server = await ServerHandle.StartAsync(Database, "--slot", Database.SlotName + "_big",
            "--queue-frames", QueueFrames.ToString(CultureInfo.InvariantCulture));
        var table = await VersionedTable.CreateAsync(Database, "big_tx");
        var clients = new List<TestClient>();
        try
        {
            for (var i = 0; i < subscribers; i++)
            {
                var client = await TestClient.ConnectAsync(server.WebSocketUrl);
                clients.Add(client);
                await client.SubscribeAsync(table.Channel);
            }

            await table.TransactionAsync($"INSERT INTO big_tx SELECT g, 0, repeat('x', 200) FROM generate_series(1, {rows}) g;");
            await table.InsertAsync(rows + 1);

            await Task.WhenAll(clients.Select(async client =>
            {
                var offsets = new List<string>();
                for (var id = 1; id <= rows + 1; id++)
                {
                    var frame = await client.NextChangeAsync();
                    Assert.Equal(("INSERT", (long)id), (Frames.Kind(frame), Frames.Id(frame)));
                    Assert.Equal(id >= rows, Frames.TxEnd(frame));
                    offsets.Add(Frames.Offset(frame));
                }
                Frames.AssertStrictlyIncreasing(offsets);
                Assert.Null(client.CloseStatus);
            }));

            // The subscribers did fall behind (the path under test ran), and none was closed as a slow consumer.
            var metrics = new PrometheusText(await server.Http.GetStringAsync("/metrics"));
            Assert.True(metrics.Required("sluice_fell_behind_total") >= 1, metrics.Text);
            Assert.Equal(0, metrics.Required("sluice_slow_consumer_disconnects_total"));
            var stats = await server.StatsAsync();
            Assert.True(stats.GetProperty("fell_behind").GetInt64() >= 1, stats.ToString());
            Assert.Equal(0, stats.GetProperty("slow_consumer_disconnects").GetInt64());
        }
        finally
        {
            foreach (var client in clients)
                await client.DisposeAsync();
        }
    }
}
