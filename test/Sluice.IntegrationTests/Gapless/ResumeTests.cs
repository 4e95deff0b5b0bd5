using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>Gapless rule 1: <c>since</c> resumes exactly after an offset, or answers <c>resync_required</c>.</summary>
public sealed class ResumeTests(PostgresFixture postgres) : ServerTest(postgres)
{
    [Fact]
    public async Task Resume_after_a_gap_delivers_exactly_the_missed_changes_then_live_ones()
    {
        var table = await VersionedTable.CreateAsync(Database, "resumed");
        var offsets = new List<string>();
        await using (var first = await Server.ConnectAsync())
        {
            await first.SubscribeAsync(table.Channel);
            for (var id = 1; id <= 3; id++)
                await table.InsertAsync(id);
            for (var id = 1; id <= 3; id++)
                offsets.Add(Frames.Offset(await first.NextChangeAsync()));
        }

        // While nobody listens: a single insert, a multi-statement transaction, a rolled-back one and an update.
        await table.InsertAsync(4);
        await table.TransactionAsync("""
            INSERT INTO resumed VALUES (5, 0, 'x');
            UPDATE resumed SET version = version + 1 WHERE id = 1;
            DELETE FROM resumed WHERE id = 2;
            INSERT INTO resumed VALUES (6, 0, 'x');
            """);
        await table.TransactionAsync("INSERT INTO resumed VALUES (7, 0, 'x'); UPDATE resumed SET version = 9 WHERE id = 3;", commit: false);
        await Database.ExecuteAsync("UPDATE resumed SET version = version + 1 WHERE id = 4");

        var resumed = await ConnectAsync();
        var reply = await Frames.ResumeAsync(resumed, table.Channel, offsets[^1]);
        Assert.True(Frames.Type(reply) == "ack", $"expected ack, got {reply}");
        (string Kind, long Id, bool TxEnd)[] expected =
            [("INSERT", 4, true), ("INSERT", 5, false), ("UPDATE", 1, false), ("DELETE", 2, false), ("INSERT", 6, true), ("UPDATE", 4, true)];
        foreach (var (kind, id, txEnd) in expected)
        {
            var frame = await resumed.NextChangeAsync();
            Assert.Equal((kind, id, txEnd), (Frames.Kind(frame), Frames.Id(frame), Frames.TxEnd(frame)));
            offsets.Add(Frames.Offset(frame));
        }

        await table.InsertAsync(8);
        var live = await resumed.NextChangeAsync();
        Assert.Equal(("INSERT", 8L), (Frames.Kind(live), Frames.Id(live)));
        offsets.Add(Frames.Offset(live));
        Frames.AssertStrictlyIncreasing(offsets);
    }

    [Fact]
    public async Task A_resume_that_misses_more_changes_than_the_outbound_queue_holds_still_delivers_them_all()
    {
        // The queue bounds what a client that does not read may pile up; a catch-up longer than the queue is not that:
        // it must reach a client that reads, whatever the queue's size (else the client is closed with 4008 on every try).
        const int queueFrames = 64;
        const int missed = 20 * queueFrames;
        await using var server = await ServerHandle.StartAsync(Database, "--slot", Database.SlotName + "_q", "--queue-frames", queueFrames.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var table = await VersionedTable.CreateAsync(Database, "long_gap");
        string since;
        await using (var first = await TestClient.ConnectAsync(server.WebSocketUrl))
        {
            await first.SubscribeAsync(table.Channel);
            await table.InsertAsync(0);
            since = Frames.Offset(await first.NextChangeAsync());
        }

        // Half as single-row transactions, half as one transaction.
        for (var id = 1; id <= missed / 2; id++)
            await table.InsertAsync(id);
        await table.TransactionAsync($"INSERT INTO long_gap SELECT g, 0, 'x' FROM generate_series({(missed / 2) + 1}, {missed}) g;");
        // The resume must find them retained: a transaction still being captured would arrive live (a live burst larger than
        // the queue takes another path, falling behind and catching up: see LargeTransactionTests).
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
        {
            while ((await server.StatsAsync()).GetProperty("retention").GetProperty("changes").GetInt32() < missed + 1)
                await Task.Delay(20, deadline.Token);
        }

        await using var resumed = await TestClient.ConnectAsync(server.WebSocketUrl);
        var reply = await Frames.ResumeAsync(resumed, table.Channel, since);
        Assert.True(Frames.Type(reply) == "ack", $"expected ack, got {reply}");
        var offsets = new List<string> { since };
        for (var id = 1; id <= missed; id++)
        {
            var frame = await resumed.NextChangeAsync();
            Assert.Equal(("INSERT", (long)id), (Frames.Kind(frame), Frames.Id(frame)));
            offsets.Add(Frames.Offset(frame));
        }
        await table.InsertAsync(missed + 1);
        Assert.Equal(missed + 1, Frames.Id(await resumed.NextChangeAsync()));
        Frames.AssertStrictlyIncreasing(offsets);
    }

    [Fact]
    public async Task A_batched_catch_up_carries_exactly_the_frames_of_a_plain_one_then_live_changes_come_alone()
    {
        var table = await VersionedTable.CreateAsync(Database, "batched");
        string since;
        await using (var first = await Server.ConnectAsync())
        {
            await first.SendAsync(new { type = "subscribe", channel = table.Channel, id = "b" });
            Assert.Equal("ack", Frames.Type(await first.NextAsync()));
            await table.InsertAsync(0);
            since = Frames.Offset(await first.NextChangeAsync());
        }

        // About 240 kB of missed changes (several batches of ~64 kB): single-row transactions, then one of 300 rows.
        const int missed = 400;
        for (var id = 1; id <= 100; id++)
            await Database.ExecuteAsync("INSERT INTO batched VALUES ($1, 0, repeat('x', 500))", (long)id);
        await table.TransactionAsync("INSERT INTO batched SELECT g, 0, repeat('y', 500) FROM generate_series(101, 400) g;");

        var plain = await ConnectAsync();
        await plain.SendAsync(new { type = "subscribe", channel = table.Channel, id = "b", since });
        Assert.Equal("ack", Frames.Type(await plain.NextAsync()));
        var expected = new List<string>();
        for (var i = 0; i < missed; i++)
            expected.Add((await plain.NextChangeAsync()).GetRawText());

        var batched = await ConnectAsync();
        await batched.SendAsync(new { type = "subscribe", channel = table.Channel, id = "b", since, batch_catch_up = true });
        Assert.Equal("ack", Frames.Type(await batched.NextAsync()));
        var received = new List<string>();
        var batches = 0;
        while (received.Count < missed)
        {
            var frame = await batched.NextAsync();
            if (Frames.Type(frame) == "changes")
            {
                batches++;
                Assert.Equal((table.Channel, "b"), (frame.GetProperty("channel").GetString(), frame.GetProperty("id").GetString()));
                received.AddRange(frame.GetProperty("changes").EnumerateArray().Select(change => change.GetRawText()));
            }
            else
            {
                Assert.Equal("broadcast", Frames.Type(frame));
                received.Add(frame.GetRawText());
            }
        }
        Assert.Equal(expected, received);
        Assert.True(batches >= 2, $"{missed} changes of ~600 bytes came in {batches} changes frames");

        await table.InsertAsync(missed + 1);
        var live = await batched.NextAsync();
        Assert.Equal(("broadcast", (long)missed + 1), (Frames.Type(live), Frames.Id(live)));
    }

    [Fact]
    public async Task The_ack_of_a_live_subscription_is_a_resume_point_before_the_first_change()
    {
        var table = await VersionedTable.CreateAsync(Database, "acked");
        var witness = await ConnectAsync();
        await witness.SubscribeAsync(table.Channel);
        await table.InsertAsync(1);
        Assert.Equal(1, Frames.Id(await witness.NextChangeAsync()));
        string startsAfter;
        await using (var first = await Server.ConnectAsync())
        {
            await first.SendAsync(new { type = "subscribe", channel = table.Channel });
            var ack = await first.NextAsync();
            Assert.True(Frames.Type(ack) == "ack", $"expected ack, got {ack}");
            startsAfter = ack.GetProperty("offset").GetString()!;
        }

        // Gone before any change arrived: what was committed meanwhile is still delivered, and nothing older.
        await table.InsertAsync(2);
        await table.InsertAsync(3);
        var resumed = await ConnectAsync();
        var reply = await Frames.ResumeAsync(resumed, table.Channel, startsAfter);
        Assert.True(Frames.Type(reply) == "ack", $"expected ack, got {reply}");
        Assert.Equal(2, Frames.Id(await resumed.NextChangeAsync()));
        var third = await resumed.NextChangeAsync();
        Assert.Equal(3, Frames.Id(third));
        Assert.True(string.CompareOrdinal(startsAfter, Frames.Offset(third)) < 0);
    }

    [Fact]
    public async Task Resume_from_any_offset_returns_exactly_the_later_changes_with_the_same_offsets()
    {
        var table = await VersionedTable.CreateAsync(Database, "history");
        var recorder = await ConnectAsync();
        await recorder.SubscribeAsync(table.Channel);
        for (var id = 1; id <= 5; id++)
            await table.InsertAsync(id);
        await table.TransactionAsync("""
            INSERT INTO history VALUES (6, 0, 'x');
            UPDATE history SET version = version + 1 WHERE id = 1;
            INSERT INTO history VALUES (7, 0, 'x');
            """);
        await Database.ExecuteAsync("DELETE FROM history WHERE id = 3");
        await table.InsertAsync(8);
        var history = new List<JsonElement>();
        for (var i = 0; i < 10; i++)
            history.Add(await recorder.NextChangeAsync());

        // At single-row transactions, at the first, middle and last frame of the transaction, at the one before the newest.
        foreach (var from in new[] { 0, 3, 5, 6, 7, 8 })
        {
            await using var client = await Server.ConnectAsync();
            var reply = await Frames.ResumeAsync(client, table.Channel, Frames.Offset(history[from]));
            Assert.True(Frames.Type(reply) == "ack", $"since #{from}: expected ack, got {reply}");
            for (var i = from + 1; i < history.Count; i++)
            {
                var frame = await client.NextChangeAsync();
                Assert.Equal(Frames.Offset(history[i]), Frames.Offset(frame));
                Assert.Equal(history[i].GetProperty("payload").GetRawText(), frame.GetProperty("payload").GetRawText());
                Assert.Equal(Frames.TxEnd(history[i]), Frames.TxEnd(frame));
            }
        }

        // Since the newest offset: nothing until a new change.
        var newest = await ConnectAsync();
        var ack = await Frames.ResumeAsync(newest, table.Channel, Frames.Offset(history[^1]));
        Assert.True(Frames.Type(ack) == "ack", $"expected ack, got {ack}");
        await table.InsertAsync(9);
        var next = await newest.NextChangeAsync();
        Assert.Equal(("INSERT", 9L), (Frames.Kind(next), Frames.Id(next)));
        Assert.True(string.CompareOrdinal(Frames.Offset(history[^1]), Frames.Offset(next)) < 0);
    }

    [Fact]
    public async Task Resume_from_before_the_retention_window_requires_resync_and_sends_nothing_else()
    {
        await Server.DisposeAsync();
        Server = await ServerHandle.StartAsync(Database, "--retention-changes", "5");
        var table = await VersionedTable.CreateAsync(Database, "short_memory");
        var marker = await VersionedTable.CreateAsync(Database, "short_marker");
        var recorder = await ConnectAsync();
        await recorder.SubscribeAsync(table.Channel);
        for (var id = 1; id <= 20; id++)
            await table.InsertAsync(id);
        var offsets = new List<string>();
        for (var id = 1; id <= 20; id++)
            offsets.Add(Frames.Offset(await recorder.NextChangeAsync()));

        var late = await ConnectAsync();
        var reply = await Frames.ResumeAsync(late, table.Channel, offsets[0]);
        Assert.True(Frames.Type(reply) == "resync_required", $"expected resync_required, got {reply}");
        Assert.Equal(table.Channel, reply.GetProperty("channel").GetString());
        Assert.False(string.IsNullOrWhiteSpace(reply.GetProperty("error").GetString()));

        // Nothing follows for that channel: a later change of the table does not arrive before a later marker change.
        await late.SubscribeAsync(marker.Channel);
        await table.InsertAsync(21);
        await marker.InsertAsync(1);
        Assert.Equal(marker.Channel, (await late.NextChangeAsync()).GetProperty("channel").GetString());

        // Inside the window, resuming still works.
        var recent = await ConnectAsync();
        var ack = await Frames.ResumeAsync(recent, table.Channel, offsets[18]);
        Assert.True(Frames.Type(ack) == "ack", $"expected ack, got {ack}");
        Assert.Equal(20, Frames.Id(await recent.NextChangeAsync()));
        Assert.Equal(21, Frames.Id(await recent.NextChangeAsync()));
    }

    [Theory]
    [InlineData("not-an-offset")]
    [InlineData("%%%")]
    [InlineData("")]
    public async Task A_since_that_is_not_an_offset_is_an_invalid_offset_error(string since)
    {
        var table = await VersionedTable.CreateAsync(Database, "garbage");
        var client = await ConnectAsync();
        var reply = await Frames.ResumeAsync(client, table.Channel, since);
        Assert.True(Frames.Type(reply) == "error", $"expected an error, got {reply}");
        Assert.Equal("invalid_offset", reply.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(reply.GetProperty("error").GetString()));

        // The connection stays usable.
        await client.SubscribeAsync(table.Channel);
        await table.InsertAsync(1);
        Assert.Equal(1, Frames.Id(await client.NextChangeAsync()));
    }

    [Fact]
    public async Task An_offset_from_another_epoch_requires_resync()
    {
        var table = await VersionedTable.CreateAsync(Database, "epochs");
        string offset;
        await using (var client = await Server.ConnectAsync())
        {
            await client.SubscribeAsync(table.Channel);
            await table.InsertAsync(1);
            offset = Frames.Offset(await client.NextChangeAsync());
        }

        // A new slot is a new log: the old offsets mean nothing there.
        await Server.DisposeAsync();
        await DropSlotAsync();
        Server = await ServerHandle.StartAsync(Database);
        await table.InsertAsync(2);

        var again = await ConnectAsync();
        var reply = await Frames.ResumeAsync(again, table.Channel, offset);
        Assert.True(Frames.Type(reply) == "resync_required", $"expected resync_required, got {reply}");
        Assert.Equal(table.Channel, reply.GetProperty("channel").GetString());

        var snapshot = await Frames.SnapshotAsync(again, table.Channel);
        Assert.Equal([1L, 2L], snapshot.Rows.Select(row => row.GetProperty("id").GetInt64()).Order());
    }

    [Fact]
    public async Task Tx_end_marks_the_last_frame_of_each_transaction_on_the_channel()
    {
        var table = await VersionedTable.CreateAsync(Database, "tx_a");
        await VersionedTable.CreateAsync(Database, "tx_b");
        var client = await ConnectAsync();
        await client.SubscribeAsync(table.Channel);

        await table.TransactionAsync("INSERT INTO tx_a VALUES (1, 0, 'x'); INSERT INTO tx_a VALUES (2, 0, 'x'); INSERT INTO tx_a VALUES (3, 0, 'x');");
        await table.InsertAsync(4);
        await table.InsertAsync(5);
        // The last change of the transaction is on another table: tx_end goes on this channel's last frame.
        await table.TransactionAsync("""
            INSERT INTO tx_a VALUES (6, 0, 'x');
            INSERT INTO tx_b VALUES (1, 0, 'x');
            INSERT INTO tx_a VALUES (7, 0, 'x');
            INSERT INTO tx_b VALUES (2, 0, 'x');
            """);

        var frames = new List<JsonElement>();
        for (var i = 0; i < 7; i++)
            frames.Add(await client.NextChangeAsync());
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L, 7L], frames.Select(Frames.Id));
        Assert.Equal([false, false, true, true, true, false, true], frames.Select(Frames.TxEnd));
        foreach (var frame in frames.Where(frame => !Frames.TxEnd(frame)))
            Assert.False(frame.TryGetProperty("tx_end", out _), $"tx_end should be absent, not false: {frame}");
    }

    private async Task DropSlotAsync()
    {
        // The walsender of the stopped server may hold the slot for a moment.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (await Database.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", Database.SlotName) == 0)
                return;
            await Database.ExecuteAsync("""
                SELECT CASE WHEN active THEN pg_terminate_backend(active_pid) ELSE pg_drop_replication_slot(slot_name) IS NULL END
                FROM pg_replication_slots WHERE slot_name = $1
                """, Database.SlotName);
            await Task.Delay(100);
        }
        throw new TimeoutException($"slot {Database.SlotName} could not be dropped");
    }
}
