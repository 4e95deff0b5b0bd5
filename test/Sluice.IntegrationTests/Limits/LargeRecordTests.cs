using System.Net.Http.Json;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Limits;

/// <summary>
/// A record over the maximum record size (1 MiB by default; here a 40 MB row, more than a connection's 32 MiB queue)
/// reaches native subscribers in the reduced form — key columns, small values, <c>too_large</c>, <c>key_columns</c>,
/// <c>omitted_columns</c> — instead of closing them, and resumes from before it pass it. The full row is one HTTP read away.
/// </summary>
public sealed class LargeRecordTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private const int BodyLength = 40_000_000;

    /// <summary>The window must hold the big row's three versions (held as text, about 80 MB each) for the resumes.</summary>
    protected override string[] ServerArgs => ["--retention-bytes", "1000000000"];

    [Fact]
    public async Task A_40_MB_row_reaches_subscribers_reduced_and_resumes_pass_it()
    {
        await CreateTableAsync("docs", "id bigint PRIMARY KEY, title text, body text");
        var subscribers = new List<TestClient>();
        for (var i = 0; i < 3; i++)
        {
            var client = await ConnectAsync();
            await client.SubscribeAsync("table:public.docs");
            subscribers.Add(client);
        }

        await Database.ExecuteAsync("INSERT INTO docs VALUES (1, 'first', 'small')");
        await Database.ExecuteAsync($"INSERT INTO docs VALUES (2, 'huge', repeat('y', {BodyLength}))");
        await Database.ExecuteAsync("UPDATE docs SET title = 'huger' WHERE id = 2");
        await Database.ExecuteAsync("INSERT INTO docs VALUES (3, 'after', 'small')");

        string? before = null;
        foreach (var client in subscribers)
        {
            var first = await client.NextChangeAsync();
            before = first.GetProperty("offset").GetString();
            await AssertReducedAndFollowersAsync(client);
        }

        // Resuming from before the big row passes it, every time.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var resumed = await Server.ConnectAsync();
            await resumed.SendAsync(new { type = "subscribe", channel = "table:public.docs", since = before });
            Assert.Equal("ack", (await resumed.NextAsync()).GetProperty("type").GetString());
            await AssertReducedAndFollowersAsync(resumed);
        }
        Assert.All(subscribers, client => Assert.Null(client.CloseStatus));

        // The client fetches the full row by its key.
        var rows = await Server.Http.GetFromJsonAsync<JsonElement>("/api/tables/public.docs/rows?filter=id=eq.2");
        var row = Assert.Single(rows.GetProperty("rows").EnumerateArray());
        Assert.Equal(BodyLength, row.GetProperty("body").GetString()!.Length);
    }

    private static async Task AssertReducedAndFollowersAsync(TestClient client)
    {
        var insert = (await client.NextChangeAsync()).GetProperty("payload");
        Assert.Equal("INSERT", insert.GetProperty("type").GetString());
        AssertReduced(insert, "huge", hasOld: false);
        var update = (await client.NextChangeAsync()).GetProperty("payload");
        Assert.Equal("UPDATE", update.GetProperty("type").GetString());
        AssertReduced(update, "huger", hasOld: true);
        var after = (await client.NextChangeAsync()).GetProperty("payload");
        Assert.Equal(3, after.GetProperty("record").GetProperty("id").GetInt64());
        Assert.False(after.TryGetProperty("too_large", out _));
    }

    private static void AssertReduced(JsonElement payload, string title, bool hasOld)
    {
        Assert.True(payload.GetProperty("too_large").GetBoolean());
        Assert.Equal(["id"], payload.GetProperty("key_columns").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["body"], payload.GetProperty("omitted_columns").EnumerateArray().Select(e => e.GetString()));
        var record = payload.GetProperty("record");
        Assert.Equal(2, record.GetProperty("id").GetInt64());
        Assert.Equal(title, record.GetProperty("title").GetString());
        Assert.False(record.TryGetProperty("body", out _));
        Assert.Equal(hasOld, payload.TryGetProperty("old_record", out var old));
        if (hasOld)
        {
            Assert.Equal(2, old.GetProperty("id").GetInt64());
            Assert.False(old.TryGetProperty("body", out _));
        }
    }
}
