using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests;

public sealed class ChangeDeliveryTests(PostgresFixture postgres) : ServerTest(postgres)
{
    [Fact]
    public async Task Insert_update_delete_arrive_with_full_records()
    {
        await CreateTableAsync("products");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.products");

        await Database.ExecuteAsync("INSERT INTO products VALUES (1, 'Lamp', 99.99)");
        await Database.ExecuteAsync("UPDATE products SET name = 'Desk lamp', price = 149.99 WHERE id = 1");
        await Database.ExecuteAsync("DELETE FROM products WHERE id = 1");

        var insert = await client.NextChangeAsync();
        Assert.Equal("table:public.products", insert.GetProperty("channel").GetString());
        var payload = insert.GetProperty("payload");
        Assert.Equal("INSERT", payload.GetProperty("type").GetString());
        Assert.Equal("products", payload.GetProperty("table").GetString());
        Assert.Equal("public", payload.GetProperty("schema").GetString());
        Assert.Equal(1, payload.GetProperty("record").GetProperty("id").GetInt64());
        Assert.Equal("Lamp", payload.GetProperty("record").GetProperty("name").GetString());
        Assert.Equal(99.99m, payload.GetProperty("record").GetProperty("price").GetDecimal());
        Assert.False(payload.TryGetProperty("old_record", out _));

        var update = (await client.NextChangeAsync()).GetProperty("payload");
        Assert.Equal("UPDATE", update.GetProperty("type").GetString());
        Assert.Equal("Desk lamp", update.GetProperty("record").GetProperty("name").GetString());
        Assert.Equal(149.99m, update.GetProperty("record").GetProperty("price").GetDecimal());
        Assert.Equal("Lamp", update.GetProperty("old_record").GetProperty("name").GetString());
        Assert.Equal(99.99m, update.GetProperty("old_record").GetProperty("price").GetDecimal());

        var delete = (await client.NextChangeAsync()).GetProperty("payload");
        Assert.Equal("DELETE", delete.GetProperty("type").GetString());
        Assert.False(delete.TryGetProperty("record", out _));
        Assert.Equal(1, delete.GetProperty("old_record").GetProperty("id").GetInt64());
        Assert.Equal("Desk lamp", delete.GetProperty("old_record").GetProperty("name").GetString());
        Assert.Equal(149.99m, delete.GetProperty("old_record").GetProperty("price").GetDecimal());
    }

    [Fact]
    public async Task Change_frames_carry_increasing_offsets_and_commit_timestamps()
    {
        await CreateTableAsync("items");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.items");

        const int count = 25;
        for (var i = 1; i <= count; i++)
            await Database.ExecuteAsync("INSERT INTO items VALUES ($1, $2)", (long)i, "item " + i);

        string? previous = null;
        for (var i = 1; i <= count; i++)
        {
            var frame = await client.NextChangeAsync();
            Assert.Equal(i, frame.GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
            var offset = frame.GetProperty("offset").GetString()!;
            if (previous is not null)
                Assert.True(string.CompareOrdinal(previous, offset) < 0, $"offset {offset} does not follow {previous}");
            previous = offset;
            var timestamp = frame.GetProperty("commit_timestamp").GetDateTimeOffset();
            Assert.Equal(TimeSpan.Zero, timestamp.Offset);
        }
    }

    [Fact]
    public async Task A_multi_statement_transaction_arrives_whole_and_in_order()
    {
        await CreateTableAsync("orders");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.orders");

        await using (var connection = await Database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO orders VALUES (1, 'a');
                INSERT INTO orders VALUES (2, 'b');
                UPDATE orders SET name = 'a2' WHERE id = 1;
                DELETE FROM orders WHERE id = 2;
                INSERT INTO orders VALUES (3, 'c');
                """;
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }

        var expected = new[] { ("INSERT", 1L), ("INSERT", 2L), ("UPDATE", 1L), ("DELETE", 2L), ("INSERT", 3L) };
        var commitPositions = new HashSet<string>();
        foreach (var (type, id) in expected)
        {
            var frame = await client.NextChangeAsync();
            var payload = frame.GetProperty("payload");
            Assert.Equal(type, payload.GetProperty("type").GetString());
            var row = payload.TryGetProperty("record", out var record) ? record : payload.GetProperty("old_record");
            Assert.Equal(id, row.GetProperty("id").GetInt64());
            commitPositions.Add(frame.GetProperty("offset").GetString()![..25]);
        }
        Assert.Single(commitPositions);
    }

    [Fact]
    public async Task Rolled_back_work_never_arrives()
    {
        await CreateTableAsync("ledger");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.ledger");

        await using (var connection = await Database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO ledger VALUES (1, 'rolled back')";
            await command.ExecuteNonQueryAsync();
            await transaction.RollbackAsync();
        }
        await Database.ExecuteAsync("INSERT INTO ledger VALUES (2, 'committed')");

        var frame = await client.NextChangeAsync();
        Assert.Equal(2, frame.GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_100_kB_row_arrives_intact_and_unchanged_toast_is_filled_in()
    {
        await CreateTableAsync("documents", "id bigint PRIMARY KEY, body text, title text");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.documents");

        var random = new Random(7);
        var body = string.Concat(Enumerable.Range(0, 100 * 1024).Select(_ => (char)random.Next('a', 'z' + 1)));
        await Database.ExecuteAsync("INSERT INTO documents VALUES (1, $1, 'first')", body);
        await Database.ExecuteAsync("UPDATE documents SET title = 'second' WHERE id = 1");

        var insert = await client.NextChangeAsync();
        Assert.Equal(body, insert.GetProperty("payload").GetProperty("record").GetProperty("body").GetString());
        var update = (await client.NextChangeAsync()).GetProperty("payload");
        Assert.Equal("second", update.GetProperty("record").GetProperty("title").GetString());
        Assert.Equal(body, update.GetProperty("record").GetProperty("body").GetString());
        Assert.Equal(body, update.GetProperty("old_record").GetProperty("body").GetString());
    }

    [Fact]
    public async Task Values_keep_their_json_types()
    {
        await CreateTableAsync("typed", """
            id bigint PRIMARY KEY, small smallint, big bigint, ratio double precision, amount numeric,
            flag boolean, doc jsonb, raw json, happened timestamptz, local_time timestamp, day date,
            tags text[], scores int[], nothing text, key uuid
            """);
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.typed");

        await Database.ExecuteAsync("""
            INSERT INTO typed VALUES (1, -7, 9007199254740993, 0.5, 12345678901234567890.123, true,
              '{"a": [1, 2, {"b": null}], "c": "d"}', '[1, "x"]', '2024-05-06 07:08:09.123456+02', '2024-05-06 07:08:09',
              '2024-05-06', ARRAY['red', 'green "quoted"', NULL, 'with,comma'], ARRAY[1, 2, 3], NULL,
              'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')
            """);

        var record = (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record");
        Assert.Equal(JsonValueKind.Number, record.GetProperty("small").ValueKind);
        Assert.Equal(-7, record.GetProperty("small").GetInt32());
        Assert.Equal(9007199254740993, record.GetProperty("big").GetInt64());
        Assert.Equal(0.5, record.GetProperty("ratio").GetDouble());
        Assert.Equal("12345678901234567890.123", record.GetProperty("amount").GetRawText());
        Assert.True(record.GetProperty("flag").GetBoolean());
        Assert.Equal(JsonValueKind.Object, record.GetProperty("doc").ValueKind);
        Assert.Equal(JsonValueKind.Null, record.GetProperty("doc").GetProperty("a")[2].GetProperty("b").ValueKind);
        Assert.Equal("d", record.GetProperty("doc").GetProperty("c").GetString());
        Assert.Equal(JsonValueKind.Array, record.GetProperty("raw").ValueKind);
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 5, 8, 9, TimeSpan.Zero).AddTicks(1234560),
            record.GetProperty("happened").GetDateTimeOffset());
        Assert.Equal("2024-05-06T07:08:09", record.GetProperty("local_time").GetString());
        Assert.Equal("2024-05-06", record.GetProperty("day").GetString());
        var tags = record.GetProperty("tags");
        Assert.Equal(JsonValueKind.Array, tags.ValueKind);
        Assert.Equal("red", tags[0].GetString());
        Assert.Equal("green \"quoted\"", tags[1].GetString());
        Assert.Equal(JsonValueKind.Null, tags[2].ValueKind);
        Assert.Equal("with,comma", tags[3].GetString());
        Assert.Equal([1, 2, 3], record.GetProperty("scores").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("nothing").ValueKind);
        Assert.Equal("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", record.GetProperty("key").GetString());
    }

    [Fact]
    public async Task Two_subscribers_both_receive_every_change()
    {
        await CreateTableAsync("shared");
        var first = await ConnectAsync();
        var second = await ConnectAsync();
        await first.SubscribeAsync("table:public.shared");
        await second.SubscribeAsync("table:public.shared");

        await Database.ExecuteAsync("INSERT INTO shared VALUES (1, 'x')");
        await Database.ExecuteAsync("INSERT INTO shared VALUES (2, 'y')");

        foreach (var client in new[] { first, second })
        {
            var a = await client.NextChangeAsync();
            var b = await client.NextChangeAsync();
            Assert.Equal(1, a.GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
            Assert.Equal(2, b.GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
        }
    }

    [Fact]
    public async Task Unsubscribe_stops_delivery()
    {
        await CreateTableAsync("left_table");
        await CreateTableAsync("marker");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.left_table");
        await client.SubscribeAsync("table:public.marker");

        await client.SendAsync(new { type = "unsubscribe", channel = "table:public.left_table" });
        var confirmation = await client.NextAsync();
        Assert.Equal("unsubscribed", confirmation.GetProperty("type").GetString());

        await Database.ExecuteAsync("INSERT INTO left_table VALUES (1, 'not delivered')");
        await Database.ExecuteAsync("INSERT INTO marker VALUES (1, 'delivered')");
        var frame = await client.NextChangeAsync();
        Assert.Equal("table:public.marker", frame.GetProperty("channel").GetString());
    }

    [Fact]
    public async Task Disable_realtime_ends_subscriptions_stops_changes_and_realtime_tables_lists_the_rest()
    {
        await CreateTableAsync("toggled");
        await CreateTableAsync("marker");
        Assert.Equal(2L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE schema_name = 'public'"));
        Assert.Equal("full", await Database.ScalarAsync<string>(
            "SELECT replica_identity FROM realtime_tables() WHERE table_name = 'toggled'"));

        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.toggled");
        await client.SubscribeAsync("table:public.marker");

        await Database.ExecuteAsync("SELECT disable_realtime('public', 'toggled')");
        await Database.ExecuteAsync("INSERT INTO toggled VALUES (1, 'not published')");
        await Database.ExecuteAsync("INSERT INTO marker VALUES (1, 'published')");
        // disable_realtime ends the table's subscriptions in commit order, before the marker's change.
        var ended = await client.NextAsync();
        Assert.Equal("subscription_invalidated", ended.GetProperty("code").GetString());
        Assert.Equal("table:public.toggled", ended.GetProperty("channel").GetString());
        var frame = await client.NextChangeAsync();
        Assert.Equal("table:public.marker", frame.GetProperty("channel").GetString());

        var late = await ConnectAsync();
        await late.SendAsync(new { type = "subscribe", channel = "table:public.toggled" });
        var error = await late.NextAsync();
        Assert.Equal("realtime_not_enabled", error.GetProperty("code").GetString());
        Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE schema_name = 'public'"));
    }

    [Fact]
    public async Task Events_and_filters_select_changes_by_typed_value()
    {
        await CreateTableAsync("stock");
        var inserts = await ConnectAsync();
        var expensive = await ConnectAsync();
        var chosen = await ConnectAsync();
        await inserts.SubscribeAsync("table:public.stock", events: ["INSERT"]);
        await expensive.SubscribeAsync("table:public.stock", filter: "price=gt.100");
        await chosen.SubscribeAsync("table:public.stock", filter: "id=in.(2,3)");

        await Database.ExecuteAsync("INSERT INTO stock VALUES (1, 'cheap', 9.50)");
        await Database.ExecuteAsync("INSERT INTO stock VALUES (2, 'dear', 250)");
        await Database.ExecuteAsync("UPDATE stock SET price = 101 WHERE id = 1");
        await Database.ExecuteAsync("INSERT INTO stock VALUES (3, 'mid', 100)");

        var insertIds = new List<long>();
        for (var i = 0; i < 3; i++)
            insertIds.Add((await inserts.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
        Assert.Equal([1L, 2L, 3L], insertIds);

        var a = (await expensive.NextChangeAsync()).GetProperty("payload");
        var b = (await expensive.NextChangeAsync()).GetProperty("payload");
        Assert.Equal(("INSERT", 2L), (a.GetProperty("type").GetString(), a.GetProperty("record").GetProperty("id").GetInt64()));
        Assert.Equal(("UPDATE", 1L), (b.GetProperty("type").GetString(), b.GetProperty("record").GetProperty("id").GetInt64()));

        var c = (await chosen.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64();
        var d = (await chosen.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64();
        Assert.Equal([2L, 3L], new[] { c, d });

        // Nothing else reached the filtered subscribers: the next frame each sees is for a marker row.
        await Database.ExecuteAsync("INSERT INTO stock VALUES (4, 'marker', 1000)");
        Assert.Equal(4, (await expensive.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Truncate_reaches_every_subscriber_of_the_table_whatever_its_filter()
    {
        await CreateTableAsync("wiped");
        var plain = await ConnectAsync();
        var filtered = await ConnectAsync();
        var insertsOnly = await ConnectAsync();
        await plain.SubscribeAsync("table:public.wiped");
        await filtered.SubscribeAsync("table:public.wiped", filter: "id=eq.42");
        await insertsOnly.SubscribeAsync("table:public.wiped", events: ["INSERT"]);

        await Database.ExecuteAsync("INSERT INTO wiped VALUES (1, 'a')");
        await Database.ExecuteAsync("TRUNCATE wiped");
        await Database.ExecuteAsync("INSERT INTO wiped VALUES (42, 'b')");

        Assert.Equal("INSERT", (await plain.NextChangeAsync()).GetProperty("payload").GetProperty("type").GetString());
        var truncate = await plain.NextChangeAsync();
        var payload = truncate.GetProperty("payload");
        Assert.Equal("TRUNCATE", payload.GetProperty("type").GetString());
        Assert.Equal("wiped", payload.GetProperty("table").GetString());
        Assert.False(payload.TryGetProperty("record", out _));
        Assert.True(truncate.GetProperty("tx_end").GetBoolean());

        Assert.Equal("TRUNCATE", (await filtered.NextChangeAsync()).GetProperty("payload").GetProperty("type").GetString());
        Assert.Equal(42, (await filtered.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());

        Assert.Equal(1, (await insertsOnly.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
        Assert.Equal(42, (await insertsOnly.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());

        // A resume across the truncate replays it in place.
        var late = await ConnectAsync();
        await late.SendAsync(new { type = "subscribe", channel = "table:public.wiped", since = (await Server.StatsAsync()).GetProperty("retention").GetProperty("oldest_offset").GetString() });
        Assert.Equal("ack", (await late.NextAsync()).GetProperty("type").GetString());
        Assert.Equal("TRUNCATE", (await late.NextChangeAsync()).GetProperty("payload").GetProperty("type").GetString());
        Assert.Equal(42, (await late.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
    }
}
