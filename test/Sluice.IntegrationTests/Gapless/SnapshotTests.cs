using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>Gapless rule 2: a snapshot joins the live stream exactly: nothing missing, nothing twice.</summary>
public sealed class SnapshotTests(PostgresFixture postgres) : ServerTest(postgres)
{
    [Fact]
    public async Task A_large_snapshot_arrives_whole_across_frames_and_later_changes_follow_its_offset()
    {
        var table = await VersionedTable.CreateAsync(Database, "big", preload: 5000, payloadLength: 200);
        var client = await ConnectAsync();

        var snapshot = await Frames.SnapshotAsync(client, table.Channel);

        Assert.True(snapshot.FrameCount > 1, $"5,000 rows of ~250 bytes came in {snapshot.FrameCount} frame(s)");
        var ids = snapshot.Rows.Select(row => row.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 5000).Select(id => (long)id), ids.Order());
        Assert.All(snapshot.Rows, row => Assert.Equal(0, row.GetProperty("version").GetInt32()));
        var first = snapshot.Rows.Single(row => row.GetProperty("id").GetInt64() == 4321);
        Assert.Equal(await Database.ScalarAsync<string>("SELECT payload FROM big WHERE id = 4321"), first.GetProperty("payload").GetString());

        // The next frame is a change, not another snapshot frame, and it follows the snapshot's offset.
        await table.InsertAsync(5001);
        var change = await client.NextChangeAsync();
        Assert.Equal(("INSERT", 5001L), (Frames.Kind(change), Frames.Id(change)));
        Assert.True(string.CompareOrdinal(snapshot.Offset, Frames.Offset(change)) < 0,
            $"change offset {Frames.Offset(change)} does not follow snapshot offset {snapshot.Offset}");
    }

    [Fact]
    public async Task A_snapshot_of_an_empty_table_has_no_rows_and_an_offset()
    {
        var table = await VersionedTable.CreateAsync(Database, "empty");
        var client = await ConnectAsync();

        var snapshot = await Frames.SnapshotAsync(client, table.Channel);
        Assert.Empty(snapshot.Rows);

        await table.InsertAsync(1);
        var change = await client.NextChangeAsync();
        Assert.Equal(1, Frames.Id(change));
        Assert.True(string.CompareOrdinal(snapshot.Offset, Frames.Offset(change)) < 0);
    }

    [Fact]
    public async Task A_filtered_snapshot_returns_only_matching_rows_and_then_only_matching_changes()
    {
        var table = await VersionedTable.CreateAsync(Database, "filtered", preload: 300);
        var client = await ConnectAsync();

        var snapshot = await Frames.SnapshotAsync(client, table.Channel, filter: "id=lte.100");
        Assert.Equal(Enumerable.Range(1, 100).Select(id => (long)id), snapshot.Rows.Select(row => row.GetProperty("id").GetInt64()).Order());

        await table.InsertAsync(301);
        await Database.ExecuteAsync("UPDATE filtered SET version = version + 1 WHERE id = 50");
        var change = await client.NextChangeAsync();
        Assert.Equal(("UPDATE", 50L), (Frames.Kind(change), Frames.Id(change)));
    }

    [Fact]
    public async Task Transactions_open_while_the_snapshot_is_taken_arrive_as_changes_and_committed_ones_do_not()
    {
        var table = await VersionedTable.CreateAsync(Database, "in_flight");
        await table.InsertAsync(1);

        // The older transaction stays open over the snapshot; a younger one commits before it.
        await using var older = await Database.OpenAsync();
        await using var olderTransaction = await older.BeginTransactionAsync();
        await using (var insert = new Npgsql.NpgsqlCommand("INSERT INTO in_flight VALUES (2, 0, 'older')", older, olderTransaction))
            await insert.ExecuteNonQueryAsync();
        await table.InsertAsync(3);

        // The snapshot must not wait for the open transaction (it would time out here): its xid is simply invisible.
        var client = await ConnectAsync();
        var snapshot = await Frames.SnapshotAsync(client, table.Channel);
        Assert.Equal([1L, 3L], snapshot.Rows.Select(row => row.GetProperty("id").GetInt64()).Order());

        await olderTransaction.CommitAsync();
        await table.InsertAsync(4);
        var first = await client.NextChangeAsync();
        var second = await client.NextChangeAsync();
        Assert.Equal([2L, 4L], new[] { Frames.Id(first), Frames.Id(second) });
        Assert.True(string.CompareOrdinal(snapshot.Offset, Frames.Offset(first)) < 0);
        Assert.True(string.CompareOrdinal(Frames.Offset(first), Frames.Offset(second)) < 0);
    }

    [Fact]
    public async Task Snapshots_taken_during_heavy_writes_join_the_stream_exactly()
    {
        var table = await VersionedTable.CreateAsync(Database, "busy", preload: 3000);
        var replicas = new List<ReplicaClient>();
        try
        {
            await using (var writers = new WriterPool(table, writers: 3, seed: 2024, preloaded: 3000))
            {
                for (var i = 0; i < 3; i++)
                {
                    await writers.WaitForCommitsAsync(150 * (i + 1));
                    var replica = new ReplicaClient($"snapshot{i}", table.Channel, () => Server.WebSocketUrl);
                    replicas.Add(replica);
                    await replica.ConnectAsync(snapshot: true);
                }
                await writers.WaitForCommitsAsync(1500);
                await writers.StopAsync();
            }
            await table.InsertAsync(-1);

            foreach (var replica in replicas)
            {
                await replica.CatchUpAsync(-1);
                await table.AssertReplicaMatchesAsync(replica);
                // A slow-consumer close (4008) would make the replica resume with since, which is fine; a resync is not.
                Assert.Equal(0, replica.Resyncs);
                Assert.True(replica.ChangesApplied > 0, $"{replica.Name} applied no change after its snapshot");
            }
        }
        finally
        {
            foreach (var replica in replicas)
                await replica.DisposeAsync();
        }
    }
}
