using Npgsql;
using Sluice.Client;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Client;

/// <summary>
/// Several live tables of one table, each with its own filter, on one client and so one connection (the SDK sends the
/// second and third with subscription ids): while writers change the table and the test cuts the client's sockets, each
/// ends equal to PostgreSQL's answer to its own query, having applied each transaction whole, in order, once.
/// </summary>
public sealed class MultipleLiveTablesTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private const int Preload = 300;

    /// <summary>A live table's filter and the same predicate in SQL. Ids never change, so a row stays in or out of a view.</summary>
    private sealed record View(string Name, string? Filter, string Where);

    private static readonly View[] Views =
    [
        new("all", null, "true"),
        new("low", "id=lt.400", "id < 400"),
        new("high", "id=gte.200", "id >= 200"),
    ];

    [Fact]
    public async Task Filtered_live_tables_of_one_table_on_one_client_stay_equal_to_their_queries_under_writes_and_socket_cuts()
    {
        var seed = Random.Shared.Next(1, 1_000_000);
        var random = new Random(seed);
        var table = await VersionedTable.CreateAsync(Database, "multi_live", Preload);
        await using var proxy = new TcpProxy(() => Server.HttpBase.Port);
        await using var client = SdkClients.Create(proxy.WebSocketUrl);
        var errors = new List<SluiceErrorEventArgs>();
        client.Error += (_, e) =>
        {
            lock (errors)
                errors.Add(e);
        };
        var live = Views.Select(view => client.LiveTable<long, VersionedRow>("public", table.Name, row => row.Id, view.Filter)).ToArray();
        var audits = live.Select(replica => new LiveTableAudit(replica)).ToArray();
        await client.StartAsync();
        foreach (var replica in live)
            await replica.WaitUntilSyncedAsync().WaitAsync(SdkClients.Patience);

        await using (var writers = new WriterPool(table, ChaosSchedule.Writers, seed, Preload))
        {
            var target = writers.Commits + 1500;
            while (writers.Commits < target)
            {
                // Let the client reconnect and stream a while, then cut its socket (sometimes inside a resubscribe).
                await client.WaitUntilConnectedAsync().WaitAsync(SdkClients.Patience);
                await writers.WaitForCommitsAsync(writers.Commits + random.Next(20, 200));
                proxy.CutAll();
            }
            await writers.StopAsync();
        }

        // Markers: -1 is in "all" and "low", 10_000_000 in "all" and "high". Each view's stream is in commit order, so a
        // view holding its markers has applied everything committed before them.
        await table.TransactionAsync("INSERT INTO public.multi_live VALUES (-1, 0, 'm'); INSERT INTO public.multi_live VALUES (10000000, 0, 'm');");
        for (var i = 0; i < Views.Length; i++)
        {
            var (view, replica, audit) = (Views[i], live[i], audits[i]);
            var expected = await ReadVersionsAsync(table, view.Where);
            var markers = expected.Keys.Where(id => id is -1 or 10_000_000).ToArray();
            Assert.NotEmpty(markers);
            await SdkClients.EventuallyAsync(() => markers.All(replica.ContainsKey),
                () => $"seed {seed}: live table {view.Name} caught up with its marker rows ({replica.Count} rows, mode {replica.Mode})");
            var actual = replica.Rows.ToDictionary(pair => pair.Key, pair => pair.Value.Version);
            var problems = expected.Where(pair => !actual.ContainsKey(pair.Key)).Select(pair => $"missing {pair.Key}")
                .Concat(actual.Where(pair => !expected.ContainsKey(pair.Key)).Select(pair => $"extra {pair.Key}"))
                .Concat(expected.Where(pair => actual.TryGetValue(pair.Key, out var version) && version != pair.Value)
                    .Select(pair => $"id {pair.Key}: {actual[pair.Key]} != {pair.Value}"))
                .Take(30).Concat(audit.Violations).ToList();
            Assert.True(problems.Count == 0,
                $"seed {seed}: live table {view.Name} ({view.Filter ?? "no filter"}) differs from SELECT … WHERE {view.Where} "
                + $"({audit.Snapshots} snapshots, {audit.Transactions} transactions, {proxy.Accepted} connections):\n  " + string.Join("\n  ", problems));
        }
        Assert.True(proxy.Accepted > 1, "the test cut no socket");
        lock (errors)
            Assert.True(errors.Count == 0, $"seed {seed}: errors: " + string.Join("; ", errors));

        // Ending one leaves the others streaming on the same connection.
        await live[1].DisposeAsync();
        await table.InsertAsync(10_000_001);
        await SdkClients.EventuallyAsync(() => live[0].ContainsKey(10_000_001) && live[2].ContainsKey(10_000_001),
            () => $"seed {seed}: the remaining live tables received a row inserted after one was disposed");
    }

    /// <summary>PostgreSQL's answer, the oracle: id → version of the rows matching <paramref name="where"/>.</summary>
    private static async Task<Dictionary<long, int>> ReadVersionsAsync(VersionedTable table, string where)
    {
        await using var connection = await table.Database.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT id, version FROM public.{table.Name} WHERE {where}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new Dictionary<long, int>();
        while (await reader.ReadAsync())
            versions.Add(reader.GetInt64(0), reader.GetInt32(1));
        return versions;
    }
}
