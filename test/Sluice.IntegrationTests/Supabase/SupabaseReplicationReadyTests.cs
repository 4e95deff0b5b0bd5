using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary><c>config.broadcast.replication_ready</c>: the channel is told once the change stream is live, as Supabase tells it.</summary>
public sealed class SupabaseReplicationReadyTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private static JsonObject Join(JsonNode? replicationReady) => new()
    {
        ["config"] = new JsonObject
        {
            ["broadcast"] = replicationReady is null ? new JsonObject() : new JsonObject { ["replication_ready"] = replicationReady },
            ["presence"] = new JsonObject { ["enabled"] = false },
            ["postgres_changes"] = new JsonArray(),
        },
    };

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_join_that_asks_gets_the_system_event_and_one_that_does_not_gets_nothing(string vsn)
    {
        await using var client = await PhoenixTestClient.ConnectAsync(Server, vsn);

        var (joinRef, reply) = await client.JoinAsync("realtime:room-ready", Join(true));
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        var system = await client.NextAsync(f => f.Event == "system");
        Assert.Equal("realtime:room-ready", system.Topic);
        Assert.Equal("system", system.Payload.GetProperty("extension").GetString());
        Assert.Equal("ok", system.Payload.GetProperty("status").GetString());
        Assert.Equal("Replication connection established", system.Payload.GetProperty("message").GetString());
        Assert.Equal("room-ready", system.Payload.GetProperty("channel").GetString());
        if (client.IsV2)
            Assert.Equal(joinRef, system.JoinRef);

        // Any value but null or false opts in, as Supabase reads it; without the key, nothing is sent.
        await client.JoinAsync("realtime:room-string", Join("yes"));
        Assert.Equal("room-string", (await client.NextAsync(f => f.Event == "system")).Payload.GetProperty("channel").GetString());
        await client.JoinAsync("realtime:room-quiet", Join(null));
        await client.JoinAsync("realtime:room-false", Join(false));
        Assert.DoesNotContain(await client.RoundTripAsync(), f => f.Event == "system");
    }
}
