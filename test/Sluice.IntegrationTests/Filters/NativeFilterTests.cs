using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Filters;

/// <summary>The newer filter operators end to end on the native protocol: exactly the matching changes arrive.</summary>
public sealed class NativeFilterTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private static (string Type, long Id) Summary(JsonElement frame)
    {
        var payload = frame.GetProperty("payload");
        var type = payload.GetProperty("type").GetString()!;
        var row = payload.GetProperty(type == "DELETE" ? "old_record" : "record");
        return (type, row.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Like_not_in_and_comma_and_filters_receive_exactly_the_matching_changes()
    {
        await CreateTableAsync("posts", "id bigint PRIMARY KEY, title text, status text");
        await Database.ExecuteAsync("ALTER TABLE public.posts REPLICA IDENTITY FULL");
        var published = await ConnectAsync();
        var ranged = await ConnectAsync();
        var regex = await ConnectAsync();
        await published.SubscribeAsync("table:public.posts", filter: "title=like.a%,status=not.in.(draft,archived)");
        // An equality among other conditions: routed through the equality index.
        await ranged.SubscribeAsync("table:public.posts", filter: "status=eq.open, id=gt.10,id=lt.20");
        await regex.SubscribeAsync("table:public.posts", filter: "title=imatch.\"^(AM|BA)\",status=not.is.null");

        await Database.ExecuteAsync("INSERT INTO posts VALUES (1, 'apple', 'open')");
        await Database.ExecuteAsync("INSERT INTO posts VALUES (2, 'avocado', 'draft')");
        await Database.ExecuteAsync("INSERT INTO posts VALUES (11, 'banana', 'open')");
        await Database.ExecuteAsync("INSERT INTO posts VALUES (12, 'apricot', NULL)");
        await Database.ExecuteAsync("UPDATE posts SET status = 'open' WHERE id = 2");
        await Database.ExecuteAsync("UPDATE posts SET status = 'closed' WHERE id = 11");
        await Database.ExecuteAsync("DELETE FROM posts WHERE id = 1");
        await Database.ExecuteAsync("DELETE FROM posts WHERE id = 11");
        // The last change matches every subscription: whatever came before it was all each one received.
        await Database.ExecuteAsync("INSERT INTO posts VALUES (15, 'amber', 'open')");

        Assert.Equal([("INSERT", 1L), ("UPDATE", 2L), ("DELETE", 1L), ("INSERT", 15L)], await ReceiveUntilAsync(published, 15));
        Assert.Equal([("INSERT", 11L), ("INSERT", 15L)], await ReceiveUntilAsync(ranged, 15));
        Assert.Equal([("INSERT", 11L), ("UPDATE", 11L), ("DELETE", 11L), ("INSERT", 15L)], await ReceiveUntilAsync(regex, 15));
    }

    [Fact]
    public async Task A_bad_new_operator_filter_is_refused_with_invalid_filter_and_a_clear_message()
    {
        await CreateTableAsync("posts", "id bigint PRIMARY KEY, title text, status text");
        var client = await ConnectAsync();
        await client.SendAsync(new { type = "subscribe", channel = "table:public.posts", filter = "title=match.\"(a)\\\\1\"" });
        var error = await client.NextAsync();
        Assert.Equal("invalid_filter", error.GetProperty("code").GetString());
        Assert.Contains("back-references are not supported", error.GetProperty("error").GetString(), StringComparison.Ordinal);

        await client.SendAsync(new { type = "subscribe", channel = "table:public.posts", filter = "id=gt.1,title=eq.a,b" });
        error = await client.NextAsync();
        Assert.Equal("invalid_filter", error.GetProperty("code").GetString());
        Assert.Contains("condition \"b\" is not of the form", error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static async Task<List<(string Type, long Id)>> ReceiveUntilAsync(TestClient client, long lastId)
    {
        var received = new List<(string Type, long Id)>();
        while (received.Count == 0 || received[^1] != ("INSERT", lastId))
            received.Add(Summary(await client.NextChangeAsync()));
        return received;
    }
}
