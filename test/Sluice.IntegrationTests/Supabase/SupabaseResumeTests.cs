using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// Sluice's opt-in gapless resume for <c>postgres_changes</c>: change messages carry <c>data.offset</c>, the join reply each
/// binding's start <c>offset</c>, and a binding with <c>since</c> resumes right after it (raw Phoenix frames).
/// </summary>
public sealed class SupabaseResumeTests(PostgresFixture postgres) : ServerTest(postgres)
{
    internal static JsonObject Join(string table, string? since = null)
    {
        var binding = new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = table };
        if (since is not null)
            binding["since"] = since;
        return new JsonObject
        {
            ["config"] = new JsonObject
            {
                ["presence"] = new JsonObject { ["enabled"] = false },
                ["postgres_changes"] = new JsonArray(binding),
            },
        };
    }

    internal static JsonElement ReplyBinding(PhoenixFrame reply)
    {
        Assert.True(reply.Payload.GetProperty("status").GetString() == "ok", $"join refused: {reply}");
        return reply.Payload.GetProperty("response").GetProperty("postgres_changes")[0];
    }

    /// <summary>The (id, offset) of the next changes up to and including row <paramref name="lastId"/>.</summary>
    internal static async Task<List<(long Id, string Offset)>> ChangesUntilAsync(PhoenixTestClient client, long lastId)
    {
        var changes = new List<(long, string)>();
        while (true)
        {
            var data = (await client.NextEventAsync("postgres_changes")).Payload.GetProperty("data");
            var id = data.GetProperty("record").GetProperty("id").GetInt64();
            changes.Add((id, data.GetProperty("offset").GetString()!));
            if (id == lastId)
                return changes;
        }
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_binding_with_since_gets_exactly_the_changes_after_it_once_in_order_then_live_ones(string vsn)
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, title text");
        var first = await ConnectPhoenixAsync(vsn);
        var (_, reply) = await first.JoinAsync("realtime:items", Join("items"));
        var startOffset = ReplyBinding(reply).GetProperty("offset").GetString();
        Assert.False(string.IsNullOrEmpty(startOffset));

        await Database.ExecuteAsync("INSERT INTO public.items VALUES (1, 'a')");
        await Database.ExecuteAsync("INSERT INTO public.items VALUES (2, 'b'), (3, 'c')"); // one transaction
        await Database.ExecuteAsync("INSERT INTO public.items VALUES (4, 'd')");
        var seen = await ChangesUntilAsync(first, 4);
        Assert.Equal([1, 2, 3, 4], seen.Select(c => c.Id));
        Assert.Equal(seen.Select(c => c.Offset).Order(StringComparer.Ordinal), seen.Select(c => c.Offset));
        Assert.Equal(4, seen.Select(c => c.Offset).Distinct().Count());
        Assert.True(string.CompareOrdinal(startOffset, seen[0].Offset) < 0);

        // From the middle of a transaction: the rest of it, then what came after, then live changes.
        var second = await ConnectPhoenixAsync(vsn);
        var (_, resumed) = await second.JoinAsync("realtime:items", Join("items", since: seen[1].Offset));
        var echoed = ReplyBinding(resumed);
        Assert.Equal(seen[1].Offset, echoed.GetProperty("since").GetString());
        Assert.Equal(seen[1].Offset, echoed.GetProperty("offset").GetString());
        Assert.DoesNotContain(second.Backlog, f => f.Event == "postgres_changes"); // catch-up comes after the reply
        Assert.Equal(seen.Skip(2), await ChangesUntilAsync(second, 4));
        await Database.ExecuteAsync("INSERT INTO public.items VALUES (5, 'e')");
        Assert.Equal([5], (await ChangesUntilAsync(second, 5)).Select(c => c.Id));

        // From the join reply's offset: every change since that join.
        var third = await ConnectPhoenixAsync(vsn);
        await third.JoinAsync("realtime:items", Join("items", since: startOffset));
        Assert.Equal([1, 2, 3, 4, 5], (await ChangesUntilAsync(third, 5)).Select(c => c.Id));
        Assert.DoesNotContain(await third.RoundTripAsync(), f => f.Event == "postgres_changes");
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_since_from_another_epoch_goes_live_with_a_resync_required_notice(string vsn)
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, title text");
        var client = await ConnectPhoenixAsync(vsn);
        var (_, reply) = await client.JoinAsync("realtime:items", Join("items"));
        var offset = ReplyBinding(reply).GetProperty("offset").GetString()!;
        var otherEpoch = (offset[0] == '0' ? "1" : "0") + offset[1..];

        var resumed = await ConnectPhoenixAsync(vsn);
        var (joinRef, again) = await resumed.JoinAsync("realtime:items", Join("items", since: otherEpoch));
        var binding = ReplyBinding(again);
        var notice = await resumed.NextAsync(f => f.Event == "system" && f.Payload.TryGetProperty("code", out _));
        Assert.Equal("resync_required", notice.Payload.GetProperty("code").GetString());
        Assert.Equal("error", notice.Payload.GetProperty("status").GetString());
        Assert.Equal("postgres_changes", notice.Payload.GetProperty("extension").GetString());
        Assert.Equal(binding.GetProperty("id").GetInt32(), notice.Payload.GetProperty("ids")[0].GetInt32());
        Assert.Equal(binding.GetProperty("offset").GetString(), notice.Payload.GetProperty("offset").GetString());
        Assert.NotEqual(otherEpoch, notice.Payload.GetProperty("offset").GetString());
        if (resumed.IsV2)
            Assert.Equal(joinRef, notice.JoinRef);

        await Database.ExecuteAsync("INSERT INTO public.items VALUES (1, 'a')");
        Assert.Equal([1], (await ChangesUntilAsync(resumed, 1)).Select(c => c.Id));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_since_that_is_not_an_offset_is_refused_at_join(string vsn)
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, title text");
        var client = await ConnectPhoenixAsync(vsn);
        var (_, reply) = await client.JoinAsync("realtime:items", Join("items", since: "yesterday"));
        Assert.Equal("error", reply.Payload.GetProperty("status").GetString());
        Assert.StartsWith("InvalidJoinPayload: postgres_changes \"since\" must be an offset issued by Sluice",
            reply.Payload.GetProperty("response").GetProperty("reason").GetString());
    }
}

/// <summary>A <c>since</c> older than the retention window (two changes here): the binding goes live with <c>resync_required</c>.</summary>
public sealed class SupabaseResumeRetentionTests(PostgresFixture postgres) : ServerTest(postgres)
{
    protected override string[] ServerArgs => ["--retention-changes", "2"];

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_since_older_than_retention_goes_live_with_a_resync_required_notice(string vsn)
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, title text");
        var client = await PhoenixTestClient.ConnectAsync(Server, vsn);
        Track(client);
        await client.JoinAsync("realtime:items", SupabaseResumeTests.Join("items"));
        for (var id = 1; id <= 4; id++)
            await Database.ExecuteAsync("INSERT INTO public.items VALUES ($1, 'x')", (long)id);
        var seen = await SupabaseResumeTests.ChangesUntilAsync(client, 4);

        var resumed = await PhoenixTestClient.ConnectAsync(Server, vsn);
        Track(resumed);
        var (_, reply) = await resumed.JoinAsync("realtime:items", SupabaseResumeTests.Join("items", since: seen[0].Offset));
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        var notice = await resumed.NextAsync(f => f.Event == "system" && f.Payload.TryGetProperty("code", out _));
        Assert.Equal("resync_required", notice.Payload.GetProperty("code").GetString());
        Assert.Contains("older than the retention window", notice.Payload.GetProperty("message").GetString());
        Assert.DoesNotContain(resumed.Backlog, f => f.Event == "postgres_changes"); // nothing partial

        await Database.ExecuteAsync("INSERT INTO public.items VALUES (5, 'x')");
        Assert.Equal([5], (await SupabaseResumeTests.ChangesUntilAsync(resumed, 5)).Select(c => c.Id));
    }
}
