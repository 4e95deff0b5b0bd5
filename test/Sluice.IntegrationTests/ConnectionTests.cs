using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests;

public sealed class ConnectionTests(PostgresFixture postgres) : ServerTest(postgres)
{
    protected override string[] ServerArgs =>
        ["--heartbeat-interval", "00:00:00.200", "--queue-frames", "64", "--queue-bytes", "4194304", "--send-timeout", "00:00:05"];

    [Fact]
    public async Task The_server_sends_heartbeats_and_answers_client_heartbeats_that_carry_a_ref()
    {
        var client = await ConnectAsync();
        var frame = await client.NextAsync(skipHeartbeats: false);
        Assert.Equal("heartbeat", frame.GetProperty("type").GetString());
        Assert.False(frame.TryGetProperty("ref", out _), "the server's own heartbeats carry no ref");
        await client.SendAsync(new { type = "heartbeat", @ref = "k1" });
        // The server's periodic heartbeats (no ref) may come first; the answer is the one echoing the ref.
        JsonElement answer;
        do
            answer = await client.NextAsync(skipHeartbeats: false);
        while (!answer.TryGetProperty("ref", out _));
        Assert.Equal("heartbeat", answer.GetProperty("type").GetString());
        Assert.Equal("k1", answer.GetProperty("ref").GetString());
    }

    [Fact]
    public async Task Stats_count_connections_and_channels()
    {
        await CreateTableAsync("a");
        await CreateTableAsync("b");
        var first = await ConnectAsync();
        var second = await ConnectAsync();
        await first.SubscribeAsync("table:public.a");
        await second.SubscribeAsync("table:public.a");
        await second.SubscribeAsync("table:public.b");

        var stats = await Server.StatsAsync();
        Assert.Equal(2, stats.GetProperty("connections").GetInt32());
        Assert.Equal(2, stats.GetProperty("channels").GetInt32());
        Assert.Equal("streaming", stats.GetProperty("capture").GetString());

        await second.DisposeAsync();
        await WaitForAsync(async () => (await Server.StatsAsync()).GetProperty("connections").GetInt32() == 1);
        Assert.Equal(1, (await Server.StatsAsync()).GetProperty("channels").GetInt32());
    }

    [Fact]
    public async Task Stats_report_the_retention_window_and_the_slot_lag()
    {
        await CreateTableAsync("counted");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.counted");
        await Database.ExecuteAsync("INSERT INTO counted VALUES (1, 'a'), (2, 'b')");
        await client.NextChangeAsync();
        var last = await client.NextChangeAsync();

        var stats = await Server.StatsAsync();
        var retention = stats.GetProperty("retention");
        Assert.Equal(2, retention.GetProperty("changes").GetInt32());
        Assert.True(retention.GetProperty("bytes").GetInt64() > 0);
        Assert.Equal(last.GetProperty("offset").GetString(), retention.GetProperty("newest_offset").GetString());
        Assert.Equal(100_000, retention.GetProperty("max_changes").GetInt32());
        Assert.Equal(600, retention.GetProperty("max_age_seconds").GetDouble());
        Assert.True(stats.GetProperty("slot_lag_bytes").GetInt64() >= 0);
        Assert.True(stats.GetProperty("retained_wal_bytes").GetInt64() > 0);
    }

    [Fact]
    public async Task A_client_that_never_reads_is_disconnected_while_others_keep_receiving()
    {
        await CreateTableAsync("firehose", "id bigint PRIMARY KEY, body text");
        var reader = await ConnectAsync();
        await reader.SubscribeAsync("table:public.firehose");
        var stalled = await TestClient.ConnectAsync(Server.WebSocketUrl, receive: false);
        await stalled.SendAsync(new { type = "subscribe", channel = "table:public.firehose" });

        const int rows = 600;
        var body = new string('z', 64 * 1024);
        var received = 0;
        // The writer stays at most 64 rows (4 MiB) ahead of the reader: however slowly a busy machine runs the reader, it
        // keeps up. The stalled client's queue fills up to the share live changes may take (it falls behind, which alone
        // closes no one); then the heartbeats fill the rest of it, or its pending send outlasts the send timeout (5 s
        // here), whichever comes first, and it is closed with 4008.
        using var credit = new SemaphoreSlim(64);
        var receiving = Task.Run(async () =>
        {
            for (; received < rows; received++)
            {
                var frame = await reader.NextChangeAsync();
                Assert.Equal(received + 1, frame.GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
                credit.Release();
            }
        });
        for (var i = 1; i <= rows; i++)
        {
            Assert.True(await credit.WaitAsync(TestClient.Patience), $"the reader stopped at row {received}");
            await Database.ExecuteAsync("INSERT INTO firehose VALUES ($1, $2)", (long)i, body);
        }
        await receiving;

        Assert.Equal(rows, received);
        await WaitForAsync(async () => (await Server.StatsAsync()).GetProperty("slow_consumer_disconnects").GetInt64() == 1);
        Assert.Equal(1, (await Server.StatsAsync()).GetProperty("connections").GetInt32());
        await stalled.DisposeAsync();
    }

    [Fact]
    public async Task Restarting_the_server_keeps_the_slot_and_continues_the_stream()
    {
        await CreateTableAsync("durable");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.durable");
        await Database.ExecuteAsync("INSERT INTO durable VALUES (1, 'before')");
        var before = await client.NextChangeAsync();
        await client.DisposeAsync();

        await Server.DisposeAsync();
        await Database.ExecuteAsync("INSERT INTO durable VALUES (2, 'while down')");
        Assert.False(await Database.ScalarAsync<bool>("SELECT temporary FROM pg_replication_slots WHERE slot_name = $1", Database.SlotName));
        Server = await ServerHandle.StartAsync(Database);

        var again = await ConnectAsync();
        await again.SubscribeAsync("table:public.durable");
        await Database.ExecuteAsync("INSERT INTO durable VALUES (3, 'after')");

        // Rows 1 and 2 were committed before this subscription: the restarted server re-reads them from the slot (the
        // retention window keeps them), but a subscription starts once that is done, so only row 3 reaches it.
        var ids = new List<long>();
        var offsets = new List<string> { before.GetProperty("offset").GetString()! };
        while (ids.LastOrDefault() != 3)
        {
            var frame = await again.NextChangeAsync();
            ids.Add(frame.GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
            offsets.Add(frame.GetProperty("offset").GetString()!);
        }
        Assert.Equal([3L], ids);
        Assert.Equal(offsets.Order(StringComparer.Ordinal), offsets);
        Assert.Equal(offsets.Count, offsets.Distinct().Count());
        Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", Database.SlotName));
    }

    [Fact]
    public async Task After_a_restart_a_new_subscription_starts_after_what_the_server_replays_from_the_slot()
    {
        await CreateTableAsync("replayed");
        // The retention window keeps these, so the slot is not advanced past them: the restarted server re-reads them
        // from the WAL, which takes a while. A subscriber that comes meanwhile asked for what happens from now on.
        await Database.ExecuteAsync("INSERT INTO replayed SELECT g, 'before' FROM generate_series(1, 50000) g");
        await Server.DisposeAsync();
        Server = await ServerHandle.StartAsync(Database, ServerArgs);

        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.replayed");
        await Database.ExecuteAsync("INSERT INTO replayed VALUES (50001, 'after')");

        var first = await client.NextChangeAsync();
        Assert.Equal(50001, first.GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Writes_to_an_enabled_table_without_a_primary_key_never_fail()
    {
        await CreateTableAsync("no_key", "name text, qty int");
        await Database.ExecuteAsync("INSERT INTO no_key VALUES ('a', 1)");
        await Database.ExecuteAsync("UPDATE no_key SET qty = 2");
        await Database.ExecuteAsync("DELETE FROM no_key");
        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM no_key"));
    }

    [Fact]
    public async Task A_connection_that_stops_answering_pings_is_cleaned_up()
    {
        await using var server = await ServerHandle.StartAsync(Database, "--slot", Database.SlotName + "_ka",
            // Long enough that the connection is still there when the stats are read on a busy machine (at 0.2 s + 0.5 s
            // the assertion below failed under a parallel run), short enough for the wait below.
            "--Sluice:KeepAliveInterval", "00:00:02", "--Sluice:KeepAliveTimeout", "00:00:02");
        var silent = await TestClient.ConnectAsync(server.WebSocketUrl, receive: false);
        Assert.Equal(1, (await server.StatsAsync()).GetProperty("connections").GetInt32());

        // The client never reads, so it never answers a ping.
        await WaitForAsync(async () => (await server.StatsAsync()).GetProperty("connections").GetInt32() == 0);
        await silent.DisposeAsync();
    }

    [Fact]
    public async Task A_slot_dropped_while_running_is_recreated_and_subscribers_are_told_to_resync()
    {
        await CreateTableAsync("lost");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.lost");
        await Database.ExecuteAsync("INSERT INTO lost VALUES (1, 'old epoch')");
        var before = (await client.NextChangeAsync()).GetProperty("offset").GetString()!;

        await DropSlotWhileRunningAsync();

        var resync = await client.NextAsync();
        Assert.Equal("resync_required", resync.GetProperty("type").GetString());
        Assert.Equal("table:public.lost", resync.GetProperty("channel").GetString());

        await client.SendAsync(new { type = "subscribe", channel = "table:public.lost", snapshot = true });
        Assert.Equal("ack", (await client.NextAsync()).GetProperty("type").GetString());
        var snapshot = await client.NextAsync();
        Assert.Equal("snapshot", snapshot.GetProperty("type").GetString());
        Assert.True(snapshot.GetProperty("last").GetBoolean());
        Assert.Equal(1, snapshot.GetProperty("rows").GetArrayLength());
        Assert.NotEqual(before[..8], snapshot.GetProperty("offset").GetString()![..8]);

        await Database.ExecuteAsync("INSERT INTO lost VALUES (2, 'new epoch')");
        var after = await client.NextChangeAsync();
        Assert.Equal(2, after.GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
        Assert.Equal(snapshot.GetProperty("offset").GetString()![..8], after.GetProperty("offset").GetString()![..8]);
    }

    /// <summary>Drops the server's slot the way an operator (or max_slot_wal_keep_size) would, racing its reconnects.</summary>
    private async Task DropSlotWhileRunningAsync()
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            try
            {
                await Database.ExecuteAsync(
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active", Database.SlotName);
                await Database.ExecuteAsync("SELECT pg_drop_replication_slot($1)", Database.SlotName);
                return;
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.ObjectInUse)
            {
                await Task.Delay(10);
            }
        }
        throw new TimeoutException("could not drop the slot while the server kept reconnecting");
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (await condition())
                return;
            await Task.Delay(50);
        }
        throw new TimeoutException("condition not reached within 30 s");
    }
}
