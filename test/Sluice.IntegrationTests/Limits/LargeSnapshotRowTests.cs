using System.Net.Http.Json;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Limits;

/// <summary>
/// A snapshot over a table holding a row larger than the maximum record size (1 MiB by default; here a 40 MB row, more than
/// a connection's 32 MiB queue) carries that row reduced — key columns, small values, listed in <c>too_large_rows</c> with
/// its <c>omitted_columns</c> — so the snapshot completes and joins the stream instead of closing the subscriber with 4008.
/// <c>GET /rows</c> still returns the row whole, by key and in a full-table read.
/// </summary>
public sealed class LargeSnapshotRowTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private const int BodyLength = 40_000_000;

    [Fact]
    public async Task A_snapshot_carries_a_40_MB_row_reduced_and_joins_the_stream()
    {
        await CreateTableAsync("docs", "id bigint PRIMARY KEY, title text, body text");
        await Database.ExecuteAsync("INSERT INTO docs VALUES (1, 'first', 'small')");
        await Database.ExecuteAsync($"INSERT INTO docs VALUES (2, 'huge', repeat('y', {BodyLength}))");
        await Database.ExecuteAsync("INSERT INTO docs VALUES (3, 'third', 'small')");

        // Every attempt gets the same complete snapshot: nobody is closed, nothing is retried into the same wall.
        var subscribers = new List<TestClient>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var client = await ConnectAsync();
            await client.SendAsync(new { type = "subscribe", channel = "table:public.docs", snapshot = true });
            var ack = await client.NextAsync();
            Assert.True(ack.GetProperty("type").GetString() == "ack", $"expected an ack, got {ack}");
            await AssertSnapshotAsync(client);
            subscribers.Add(client);
        }

        await Database.ExecuteAsync("INSERT INTO docs VALUES (4, 'after', 'small')");
        foreach (var client in subscribers)
        {
            var change = (await client.NextChangeAsync()).GetProperty("payload");
            Assert.Equal(4, change.GetProperty("record").GetProperty("id").GetInt64());
            Assert.Null(client.CloseStatus);
        }

        // /rows is how a client reads a reduced row: whole, by key and in a full-table read (streamed row by row).
        var byKey = await Server.Http.GetFromJsonAsync<JsonElement>("/api/tables/public.docs/rows?filter=id=eq.2");
        Assert.Equal(BodyLength, Assert.Single(byKey.GetProperty("rows").EnumerateArray()).GetProperty("body").GetString()!.Length);
        var all = await Server.Http.GetFromJsonAsync<JsonElement>("/api/tables/public.docs/rows");
        var bodies = all.GetProperty("rows").EnumerateArray()
            .ToDictionary(row => row.GetProperty("id").GetInt64(), row => row.GetProperty("body").GetString()!.Length);
        Assert.Equal(new Dictionary<long, int> { [1] = 5, [2] = BodyLength, [3] = 5, [4] = 5 }, bodies);
    }

    /// <summary>Reads snapshot frames up to the last: rows 1 and 3 whole, row 2 reduced and listed in <c>too_large_rows</c>.</summary>
    private static async Task AssertSnapshotAsync(TestClient client)
    {
        var rows = new List<JsonElement>();
        var reduced = new List<(JsonElement Row, JsonElement Entry, JsonElement Frame)>();
        while (true)
        {
            var frame = await client.NextAsync();
            Assert.True(frame.GetProperty("type").GetString() == "snapshot", $"expected a snapshot frame, got {Describe(frame)} (close status {client.CloseStatus})");
            var frameRows = frame.GetProperty("rows").EnumerateArray().ToArray();
            if (frame.TryGetProperty("too_large_rows", out var entries))
            {
                foreach (var listed in entries.EnumerateArray())
                    reduced.Add((frameRows[listed.GetProperty("index").GetInt32()], listed, frame));
            }
            rows.AddRange(frameRows);
            if (frame.GetProperty("last").GetBoolean())
                break;
        }

        Assert.Equal([1L, 2L, 3L], rows.Select(row => row.GetProperty("id").GetInt64()).Order());
        var (row, entry, reducedFrame) = Assert.Single(reduced);
        Assert.Equal(2, row.GetProperty("id").GetInt64());
        Assert.Equal("huge", row.GetProperty("title").GetString());
        Assert.False(row.TryGetProperty("body", out _));
        Assert.Equal(["body"], entry.GetProperty("omitted_columns").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["id"], reducedFrame.GetProperty("key_columns").EnumerateArray().Select(e => e.GetString()));
        foreach (var whole in rows.Where(r => r.GetProperty("id").GetInt64() != 2))
            Assert.Equal("small", whole.GetProperty("body").GetString());
    }

    private static string Describe(JsonElement frame)
    {
        var text = frame.GetRawText();
        return text.Length <= 300 ? text : text[..300] + "…";
    }
}
