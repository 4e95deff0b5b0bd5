using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// What a change message's record carries: <c>select</c> column lists (realtime-js ≥ 2.109) and Supabase's
/// <c>errors: ["Error 413: Payload Too Large"]</c> with only the small values for a record over the size limit (200 bytes here).
/// </summary>
public sealed class SupabaseRecordTests(PostgresFixture postgres) : ServerTest(postgres)
{
    protected override string[] ServerArgs => ["--supabase-max-record-bytes", "200"];

    private static JsonObject Join(params JsonObject[] bindings) => new()
    {
        ["config"] = new JsonObject
        {
            ["presence"] = new JsonObject { ["enabled"] = false },
            ["postgres_changes"] = new JsonArray([.. bindings]),
        },
    };

    private static JsonObject Binding(string table, params string[] select)
    {
        var binding = new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = table };
        if (select.Length > 0)
            binding["select"] = new JsonArray([.. select.Select(c => (JsonNode)JsonValue.Create(c))]);
        return binding;
    }

    private static string[] Names(JsonElement row) => [.. row.EnumerateObject().Select(p => p.Name)];

    private async Task CreateDocsAsync()
    {
        await CreateTableAsync("docs", "id bigint PRIMARY KEY, title text, body text, tags text[]");
        await Database.ExecuteAsync("ALTER TABLE public.docs REPLICA IDENTITY FULL");
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_record_over_the_size_limit_carries_error_413_and_only_values_of_at_most_64_bytes(string vsn)
    {
        await CreateDocsAsync();
        var client = await ConnectPhoenixAsync(vsn);
        await client.JoinAsync("realtime:docs", Join(Binding("docs")));
        var big = new string('x', 300);
        var edge = new string('y', 64);
        await Database.ExecuteAsync("INSERT INTO public.docs VALUES (1, 'small', 'short body', '{a}')");
        await Database.ExecuteAsync("INSERT INTO public.docs VALUES (2, $1, $2, '{b}')", edge, big);
        await Database.ExecuteAsync("UPDATE public.docs SET title = 'renamed' WHERE id = 2");

        var small = (await client.NextEventAsync("postgres_changes")).Payload.GetProperty("data");
        Assert.Equal(JsonValueKind.Null, small.GetProperty("errors").ValueKind);
        Assert.Equal(["id", "title", "body", "tags"], Names(small.GetProperty("record")));

        var large = (await client.NextEventAsync("postgres_changes")).Payload.GetProperty("data");
        Assert.Equal(["Error 413: Payload Too Large"], large.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["id", "title", "tags"], Names(large.GetProperty("record")));
        Assert.Equal(edge, large.GetProperty("record").GetProperty("title").GetString());
        Assert.Equal(4, large.GetProperty("columns").GetArrayLength()); // the columns stay complete

        var update = (await client.NextEventAsync("postgres_changes")).Payload.GetProperty("data");
        Assert.Equal("UPDATE", update.GetProperty("type").GetString());
        Assert.Equal(1, update.GetProperty("errors").GetArrayLength());
        Assert.Equal(["id", "title", "tags"], Names(update.GetProperty("record")));
        Assert.Equal(["id", "title", "tags"], Names(update.GetProperty("old_record")));
        Assert.Equal("renamed", update.GetProperty("record").GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Select_limits_record_old_record_and_columns_to_the_listed_columns(string vsn)
    {
        await CreateDocsAsync();
        var client = await ConnectPhoenixAsync(vsn);
        var (_, reply) = await client.JoinAsync("realtime:docs", Join(Binding("docs", "title", "id"), Binding("docs")));
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        var echoed = reply.Payload.GetProperty("response").GetProperty("postgres_changes");
        var selectId = echoed[0].GetProperty("id").GetInt32();
        var allId = echoed[1].GetProperty("id").GetInt32();
        Assert.NotEqual(selectId, allId);
        Assert.Equal(["title", "id"], echoed[0].GetProperty("select").EnumerateArray().Select(c => c.GetString()));

        await Database.ExecuteAsync("INSERT INTO public.docs VALUES (1, 'a', 'body', '{x}')");
        await Database.ExecuteAsync("UPDATE public.docs SET body = 'new body' WHERE id = 1");
        var seen = new Dictionary<(int Id, string Type), JsonElement>();
        while (seen.Count < 4)
        {
            var payload = (await client.NextEventAsync("postgres_changes")).Payload;
            var data = payload.GetProperty("data");
            seen[(payload.GetProperty("ids")[0].GetInt32(), data.GetProperty("type").GetString()!)] = data;
        }

        var insert = seen[(selectId, "INSERT")];
        Assert.Equal(["id", "title"], Names(insert.GetProperty("record")));
        Assert.Equal(["id", "title"], insert.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var update = seen[(selectId, "UPDATE")];
        Assert.Equal(["id", "title"], Names(update.GetProperty("record")));
        Assert.Equal(["id", "title"], Names(update.GetProperty("old_record")));
        Assert.Equal(["id", "title", "body", "tags"], Names(seen[(allId, "UPDATE")].GetProperty("record")));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Select_with_an_unknown_column_or_a_bad_shape_is_refused_at_join(string vsn)
    {
        await CreateDocsAsync();
        var client = await ConnectPhoenixAsync(vsn);
        var (_, unknown) = await client.JoinAsync("realtime:docs", Join(Binding("docs", "id", "nope")));
        Assert.Equal("error", unknown.Payload.GetProperty("status").GetString());
        Assert.Equal("Unable to subscribe to changes with given parameters: select: column \"nope\" does not exist in public.docs",
            unknown.Payload.GetProperty("response").GetProperty("reason").GetString());

        var badShape = Binding("docs");
        badShape["select"] = "id";
        var (_, refused) = await client.JoinAsync("realtime:docs2", Join(badShape));
        Assert.Equal("error", refused.Payload.GetProperty("status").GetString());
        Assert.StartsWith("InvalidJoinPayload: postgres_changes \"select\" must be a non-empty array of column names",
            refused.Payload.GetProperty("response").GetProperty("reason").GetString());
    }
}
