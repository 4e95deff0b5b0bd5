using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests;

/// <summary>
/// What subscribers see when their table changes identity while they are subscribed (issue 16): a rename or a move to
/// another schema ends the subscription with <c>subscription_invalidated</c> naming the new channel, at the first change
/// made under the new name (before it nothing was missed); <c>disable_realtime</c> ends it right after the table's last
/// published change. Nothing stops silently.
/// </summary>
public sealed class TableLifecycleTests(PostgresFixture postgres) : ServerTest(postgres)
{
    [Theory]
    [InlineData("ALTER TABLE public.t RENAME TO t2", "INSERT INTO public.t2 VALUES (2)", "table:public.t2")]
    [InlineData("ALTER TABLE public.t SET SCHEMA other", "INSERT INTO other.t VALUES (2)", "table:other.t")]
    public async Task A_renamed_or_moved_table_ends_its_subscriptions_naming_the_new_channel(string alter, string insert, string newChannel)
    {
        await CreateTableAsync("t", "id bigint PRIMARY KEY");
        await Database.ExecuteAsync("CREATE SCHEMA other");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.t");
        await Database.ExecuteAsync("INSERT INTO public.t VALUES (1)");
        Assert.Equal(1, (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());

        await Database.ExecuteAsync(alter);
        await Database.ExecuteAsync(insert);

        var error = await client.NextAsync();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("subscription_invalidated", error.GetProperty("code").GetString());
        Assert.Equal("table:public.t", error.GetProperty("channel").GetString());
        Assert.Contains(newChannel, error.GetProperty("error").GetString(), StringComparison.Ordinal);

        // Subscribing under the new name works, and the old one is gone from the catalog.
        await client.SubscribeAsync(newChannel);
        await Database.ExecuteAsync(insert.Replace("(2)", "(3)", StringComparison.Ordinal));
        Assert.Equal(3, (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
        await client.SendAsync(new { type = "subscribe", channel = "table:public.t" });
        Assert.Equal("table_not_found", (await client.NextAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Disabling_realtime_ends_the_subscriptions_after_the_tables_last_change()
    {
        await CreateTableAsync("t", "id bigint PRIMARY KEY");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.t");
        await Database.ExecuteAsync("INSERT INTO public.t VALUES (1)");
        await Database.ExecuteAsync("SELECT disable_realtime('public', 't')");

        Assert.Equal(1, (await client.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
        var error = await client.NextAsync();
        Assert.Equal("subscription_invalidated", error.GetProperty("code").GetString());
        Assert.Contains("realtime was disabled", error.GetProperty("error").GetString(), StringComparison.Ordinal);

        await client.SendAsync(new { type = "subscribe", channel = "table:public.t" });
        Assert.Equal("realtime_not_enabled", (await client.NextAsync()).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("1.0.0", "ALTER TABLE public.t RENAME TO t2", "INSERT INTO public.t2 VALUES (2)", "table:public.t2")]
    [InlineData("2.0.0", "SELECT disable_realtime('public', 't')", null, "realtime was disabled")]
    public async Task Supabase_bindings_get_a_system_error_and_phx_error(string vsn, string alter, string? insert, string expected)
    {
        await CreateTableAsync("t", "id bigint PRIMARY KEY");
        var client = await ConnectPhoenixAsync(vsn);
        var (_, reply) = await client.JoinAsync("realtime:lifecycle", new JsonObject
        {
            ["config"] = new JsonObject
            {
                ["postgres_changes"] = new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "t" }),
            },
        });
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        await client.NextAsync(f => f.Event == "system");

        await Database.ExecuteAsync(alter);
        if (insert is not null)
            await Database.ExecuteAsync(insert);

        var system = await client.NextAsync(f => f.Event == "system" && f.Payload.GetProperty("status").GetString() == "error");
        Assert.Contains(expected, system.Payload.GetProperty("message").GetString(), StringComparison.Ordinal);
        await client.NextAsync(f => f.Event == "phx_error");
    }
}
