using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// The newer postgres_changes filters (supabase/realtime ≥ Jun 2026, realtime-js ≥ 2.109: like, not., comma-AND) over
/// the raw Phoenix protocol: each binding's id is listed on exactly the changes its filter matches.
/// </summary>
public sealed class SupabaseFilterTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private static JsonObject Config(params JsonObject[] bindings) => new()
    {
        ["config"] = new JsonObject
        {
            ["broadcast"] = new JsonObject { ["self"] = false, ["ack"] = false },
            ["presence"] = new JsonObject { ["key"] = "", ["enabled"] = false },
            ["postgres_changes"] = new JsonArray([.. bindings]),
            ["private"] = false,
        },
    };

    private static JsonObject Binding(string? filter)
    {
        var binding = new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "posts" };
        if (filter is not null)
            binding["filter"] = filter;
        return binding;
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Like_not_in_and_comma_and_bindings_receive_exactly_the_matching_changes(string vsn)
    {
        await CreateTableAsync("posts", "id bigint PRIMARY KEY, title text, status text");
        await Database.ExecuteAsync("ALTER TABLE public.posts REPLICA IDENTITY FULL");
        var client = await ConnectPhoenixAsync(vsn);
        string?[] filters = [null, "title=like.a%", "status=not.in.(draft,archived)", "id=gt.10,id=lt.20,status=eq.open"];
        var (_, reply) = await client.JoinAsync("realtime:posts", Config([.. filters.Select(Binding)]));
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        var echoed = reply.Payload.GetProperty("response").GetProperty("postgres_changes").EnumerateArray().ToArray();
        Assert.Equal(filters, echoed.Select(b => b.TryGetProperty("filter", out var f) ? f.GetString() : null));
        var ids = echoed.Select(b => b.GetProperty("id").GetInt32()).ToArray();
        Assert.Equal(4, ids.Distinct().Count());

        await Database.ExecuteAsync("INSERT INTO posts VALUES (1, 'apple', 'open')");
        await Database.ExecuteAsync("INSERT INTO posts VALUES (2, 'avocado', 'draft')");
        await Database.ExecuteAsync("INSERT INTO posts VALUES (11, 'banana', 'open')");
        await Database.ExecuteAsync("INSERT INTO posts VALUES (12, 'apricot', NULL)");
        await Database.ExecuteAsync("UPDATE posts SET status = 'open' WHERE id = 2");
        await Database.ExecuteAsync("UPDATE posts SET status = 'closed' WHERE id = 11");
        await Database.ExecuteAsync("DELETE FROM posts WHERE id = 1");
        await Database.ExecuteAsync("DELETE FROM posts WHERE id = 11");
        // A marker only the unfiltered binding matches: once it arrives, everything before it has.
        await Database.ExecuteAsync("INSERT INTO posts VALUES (100, 'zzz', 'draft')");

        var received = ids.ToDictionary(id => id, _ => new List<(string Type, long Id)>());
        while (received[ids[0]].Count == 0 || received[ids[0]][^1] != ("INSERT", 100L))
        {
            var change = await client.NextEventAsync("postgres_changes");
            var data = change.Payload.GetProperty("data");
            var type = data.GetProperty("type").GetString()!;
            var id = data.GetProperty(type == "DELETE" ? "old_record" : "record").GetProperty("id").GetInt64();
            foreach (var bindingId in change.Payload.GetProperty("ids").EnumerateArray())
                received[bindingId.GetInt32()].Add((type, id));
        }

        Assert.Equal(
            [("INSERT", 1L), ("INSERT", 2L), ("INSERT", 11L), ("INSERT", 12L), ("UPDATE", 2L), ("UPDATE", 11L), ("DELETE", 1L), ("DELETE", 11L), ("INSERT", 100L)],
            received[ids[0]]);
        // like a%: a NULL status does not matter to it.
        Assert.Equal([("INSERT", 1L), ("INSERT", 2L), ("INSERT", 12L), ("UPDATE", 2L), ("DELETE", 1L)], received[ids[1]]);
        // not.in: a NULL status is unknown, so no match; the DELETE is judged by the old row.
        Assert.Equal([("INSERT", 1L), ("INSERT", 11L), ("UPDATE", 2L), ("UPDATE", 11L), ("DELETE", 1L), ("DELETE", 11L)], received[ids[2]]);
        // 10 < id < 20 and status = open.
        Assert.Equal([("INSERT", 11L)], received[ids[3]]);
    }

    [Theory]
    [InlineData("title=ilike.\"a,b%\",status=not.is.null")]
    [InlineData("title=not.match.^a")]
    [InlineData("id=isdistinct.3")]
    public async Task Filters_as_realtime_js_builds_them_are_accepted(string filter)
    {
        await CreateTableAsync("posts", "id bigint PRIMARY KEY, title text, status text");
        var client = await ConnectPhoenixAsync("2.0.0");
        var (_, reply) = await client.JoinAsync("realtime:ok", Config(Binding(filter)));
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        Assert.Equal(filter, reply.Payload.GetProperty("response").GetProperty("postgres_changes")[0].GetProperty("filter").GetString());
    }

    [Theory]
    [InlineData("title=like.a\\", "LIKE pattern must not end with escape character")]
    [InlineData("id=gt.1,,id=lt.5", "empty condition in filter")]
    [InlineData("status=is.maybe", "\"is\" supports only is.null, is.not_null, is.true, is.false and is.unknown")]
    [InlineData("id=match.1", "match needs a text column")]
    public async Task A_bad_filter_fails_the_join_with_a_clear_reason(string filter, string expectedPart)
    {
        await CreateTableAsync("posts", "id bigint PRIMARY KEY, title text, status text");
        var client = await ConnectPhoenixAsync("2.0.0");
        var (_, reply) = await client.JoinAsync("realtime:bad", Config(Binding(filter)));
        Assert.Equal("error", reply.Payload.GetProperty("status").GetString());
        var reason = reply.Payload.GetProperty("response").GetProperty("reason").GetString();
        Assert.Contains("invalid filter", reason, StringComparison.Ordinal);
        Assert.Contains(expectedPart, reason, StringComparison.Ordinal);
    }
}
