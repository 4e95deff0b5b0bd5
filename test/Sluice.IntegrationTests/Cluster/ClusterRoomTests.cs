using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Cluster;

/// <summary>Rooms across three nodes: broadcasts reach subscribers on other nodes, presence is the union over nodes, and a dead node's presence goes.</summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class ClusterRoomTests(PostgresFixture postgres)
{
    private static readonly string[] ShortNodeTimeout = ["--node-timeout", "00:00:03"];

    [Fact]
    public async Task Broadcasts_and_presence_cross_nodes_and_a_dead_nodes_presence_leaves()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var cluster = await ClusterNodes.StartAsync(database, extraArgs: ShortNodeTimeout);
        try
        {
            await using var alice = await cluster[0].ConnectAsync();
            await using var bob = await cluster[1].ConnectAsync();
            await using var carol = await cluster[2].ConnectAsync();
            foreach (var client in new[] { alice, bob, carol })
                await JoinAsync(client, "room:lobby");

            for (var n = 1; n <= 3; n++)
                await alice.SendAsync(new { type = "broadcast", channel = "room:lobby", @event = "chat", payload = new { n } });
            foreach (var client in new[] { bob, carol })
            {
                for (var n = 1; n <= 3; n++)
                {
                    var message = await ExpectAsync(client, "broadcast");
                    Assert.Equal("room:lobby", message.GetProperty("channel").GetString());
                    Assert.Equal("chat", message.GetProperty("event").GetString());
                    Assert.Equal(n, message.GetProperty("payload").GetProperty("n").GetInt32());
                }
            }

            await bob.SendAsync(new { type = "presence", channel = "room:lobby", state = new { status = "online" }, key = "bob" });
            foreach (var client in new[] { alice, bob, carol })
            {
                var diff = await ExpectAsync(client, "presence_diff");
                var joined = Assert.Single(diff.GetProperty("joins").EnumerateArray().ToArray());
                Assert.Equal("bob", joined.GetProperty("key").GetString());
                Assert.Equal("online", joined.GetProperty("state").GetProperty("status").GetString());
            }
            await carol.SendAsync(new { type = "presence", channel = "room:lobby", state = new { status = "busy" }, key = "carol" });
            foreach (var client in new[] { alice, bob, carol })
                Assert.Equal("carol", Assert.Single((await ExpectAsync(client, "presence_diff")).GetProperty("joins").EnumerateArray().ToArray()).GetProperty("key").GetString());

            // A newcomer on node 0 sees the presence of nodes 1 and 2.
            await using var dave = await cluster[0].ConnectAsync();
            var state = await JoinAsync(dave, "room:lobby");
            Assert.Equal(["bob", "carol"], state.GetProperty("presences").EnumerateArray().Select(p => p.GetProperty("key").GetString()).Order());

            // Node 1 dies: after the node timeout its presence leaves on the surviving nodes.
            cluster[1].Kill();
            foreach (var client in new[] { alice, carol, dave })
            {
                var diff = await ExpectAsync(client, "presence_diff");
                Assert.Equal(0, diff.GetProperty("joins").GetArrayLength());
                Assert.Equal("bob", Assert.Single(diff.GetProperty("leaves").EnumerateArray().ToArray()).GetProperty("key").GetString());
            }
            await using var erin = await cluster[2].ConnectAsync();
            var after = await JoinAsync(erin, "room:lobby");
            Assert.Equal(["carol"], after.GetProperty("presences").EnumerateArray().Select(p => p.GetProperty("key").GetString()));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"{ex.Message}\n{cluster.Output}", ex);
        }
    }

    private static async Task<JsonElement> JoinAsync(TestClient client, string channel)
    {
        await client.SendAsync(new { type = "subscribe", channel });
        await ExpectAsync(client, "ack");
        return await ExpectAsync(client, "presence_state");
    }

    private static async Task<JsonElement> ExpectAsync(TestClient client, string type)
    {
        var frame = await client.NextAsync();
        Assert.True(frame.GetProperty("type").GetString() == type, $"expected {type}, got {frame}");
        return frame;
    }
}
