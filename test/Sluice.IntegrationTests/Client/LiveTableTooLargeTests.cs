using Npgsql;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Client;

/// <summary>
/// A live table over rows larger than the server's maximum record size (4 KiB here): those changes arrive reduced and
/// the SDK reads the rows whole by key over HTTP, so the replica still ends up equal to the table, bodies included.
/// </summary>
public sealed class LiveTableTooLargeTests(PostgresFixture postgres) : ServerTest(postgres)
{
    protected override string[] ServerArgs => ["--max-record-bytes", "4096"];

    public sealed record Doc(long Id, int Version, string Body);

    [Fact]
    public async Task A_live_table_stays_equal_to_the_table_when_rows_arrive_reduced()
    {
        await CreateTableAsync("docs", "id bigint PRIMARY KEY, version int NOT NULL, body text NOT NULL");
        await Database.ExecuteAsync("INSERT INTO docs SELECT g, 0, repeat('s', 10) FROM generate_series(1, 5) g");
        await using var client = SdkClients.Create(Server.WebSocketUrl);
        var live = client.LiveTable<long, Doc>("public", "docs", doc => doc.Id);
        var reduced = 0;
        live.Changed += (_, e) => Interlocked.Add(ref reduced, e.Changes.Count(c => c.IsTooLarge));
        await client.StartAsync();
        await live.WaitUntilSyncedAsync();

        var random = new Random(16);
        for (var step = 0; step < 40; step++)
        {
            var id = random.Next(1, 12);
            var size = random.Next(2) == 0 ? 20 : random.Next(5_000, 50_000);
            switch (random.Next(4))
            {
                case 0:
                    await Database.ExecuteAsync("DELETE FROM docs WHERE id = $1", (long)id);
                    break;
                case 1:
                    // Two rows in one transaction: applied together, each read whole if it is too large.
                    await Database.ExecuteAsync(
                        "INSERT INTO docs VALUES ($1, 0, repeat('i', $2)), ($1 + 100, 0, repeat('j', $2)) ON CONFLICT (id) DO UPDATE SET version = docs.version + 1, body = excluded.body",
                        (long)id, size);
                    break;
                default:
                    await Database.ExecuteAsync(
                        "INSERT INTO docs VALUES ($1, 0, repeat('u', $2)) ON CONFLICT (id) DO UPDATE SET version = docs.version + 1, body = excluded.body",
                        (long)id, size);
                    break;
            }
        }
        await Database.ExecuteAsync("INSERT INTO docs VALUES (-1, 0, 'marker')");

        var expected = await ReadTableAsync();
        await SdkClients.EventuallyAsync(() => live.ContainsKey(-1) && live.Rows.Count == expected.Count && expected.All(row => live.TryGetValue(row.Key, out var doc) && doc == row.Value),
            () => $"the replica ({live.Rows.Count} rows) equals the table ({expected.Count} rows)");
        Assert.True(reduced > 0, "no change arrived reduced: the test did not test anything");
    }

    [Fact]
    public async Task A_live_table_holds_the_whole_rows_of_a_snapshot_that_carried_them_reduced()
    {
        await CreateTableAsync("docs", "id bigint PRIMARY KEY, version int NOT NULL, body text NOT NULL");
        await Database.ExecuteAsync("INSERT INTO docs SELECT g, g, repeat('s', 10) FROM generate_series(1, 5) g");
        await Database.ExecuteAsync("INSERT INTO docs SELECT g, g, repeat(g::text, 5000 * g) FROM generate_series(6, 8) g");
        await using var client = SdkClients.Create(Server.WebSocketUrl);
        var live = client.LiveTable<long, Doc>("public", "docs", doc => doc.Id);
        await client.StartAsync();
        await live.WaitUntilSyncedAsync();

        // Synced means whole: the reduced rows were read by key before the snapshot was applied.
        var expected = await ReadTableAsync();
        Assert.Equal(8, live.Rows.Count);
        foreach (var (id, doc) in expected)
            Assert.True(live[id] == doc, $"row {id}: the replica holds a body of {live[id].Body?.Length ?? -1} characters, the table {doc.Body.Length}");

        // And it joins the stream: a later change arrives as usual.
        await Database.ExecuteAsync("UPDATE docs SET version = 100 WHERE id = 7");
        await SdkClients.EventuallyAsync(() => live[7].Version == 100 && live[7].Body.Length == 35_000, () => "the update of row 7 is applied");
    }

    private async Task<Dictionary<long, Doc>> ReadTableAsync()
    {
        var rows = new Dictionary<long, Doc>();
        await using var connection = await Database.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, version, body FROM docs", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows[reader.GetInt64(0)] = new Doc(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2));
        return rows;
    }
}
