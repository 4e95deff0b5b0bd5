using System.Text.Json;
using Sluice.Client;
using Sluice.IntegrationTests.Client;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Rooms;

/// <summary>
/// A server process killed (kill -9) and started again: a native room subscribed with <c>database_since</c> gets the database
/// broadcasts sent after it, also those sent while the server was down, once and in order; and the C# SDK's room, whose
/// connection the kill cut, resumes them by itself.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class RoomDatabaseBroadcastKillTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Database_broadcasts_sent_around_a_server_kill_arrive_once_and_in_order_natively_and_through_the_sdk()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var server = await ServerProcess.StartAsync(database);
        Task SendAsync(string eventName) => database.ExecuteAsync("SELECT realtime.send('{\"n\":1}'::jsonb, $1, 'feed', false)", eventName);

        await using var proxy = new TcpProxy(() => server.Port);
        await using var sdk = SdkClients.Create(proxy.WebSocketUrl);
        var room = sdk.Room("feed");
        var received = new List<DatabaseBroadcast<JsonElement>>();
        room.OnDatabaseBroadcast<JsonElement>(null, broadcast =>
        {
            lock (received)
                received.Add(broadcast);
        });
        await sdk.StartAsync();
        await room.WaitUntilSubscribedAsync();

        string afterOne;
        await using (var client = await server.ConnectAsync())
        {
            await client.SendAsync(new { type = "subscribe", channel = "room:feed" });
            Assert.Equal("ack", (await client.NextAsync()).GetProperty("type").GetString());
            Assert.Equal("presence_state", (await client.NextAsync()).GetProperty("type").GetString());
            await SendAsync("one");
            afterOne = (await client.NextAsync()).GetProperty("database_offset").GetString()!;
        }
        await SendAsync("two");
        server.Kill();
        await SendAsync("three"); // while the server is down
        await server.RestartAsync();
        proxy.CutAll();

        await using var resumed = await server.ConnectAsync();
        await resumed.SendAsync(new { type = "subscribe", channel = "room:feed", database_since = afterOne });
        Assert.Equal(afterOne, (await resumed.NextAsync()).GetProperty("database_offset").GetString());
        Assert.Equal("presence_state", (await resumed.NextAsync()).GetProperty("type").GetString());
        await SendAsync("four");
        var frames = await RoomDatabaseBroadcastTests.DatabaseBroadcastsUntilAsync(resumed, "four");
        Assert.Equal(["two", "three", "four"], RoomDatabaseBroadcastTests.Events(frames));
        var offsets = frames.Select(f => f.GetProperty("database_offset").GetString()!).ToList();
        Assert.Equal(offsets.Order(StringComparer.Ordinal), offsets);
        Assert.True(string.CompareOrdinal(afterOne, offsets[0]) < 0);

        // The SDK's room reconnected by itself (its room offset is from the killed run: the room resyncs, its database
        // broadcasts resume) and got each one once, in order, with the row's id.
        await SdkClients.EventuallyAsync(() => { lock (received) return received.Count > 0 && received[^1].Event == "four"; }, () => "the SDK's database broadcast four");
        lock (received)
        {
            Assert.Equal(["one", "two", "three", "four"], received.Select(b => b.Event));
            Assert.Equal(offsets, received.Skip(1).Select(b => b.Offset));
            Assert.All(received, b => Assert.Equal(1, b.Payload.GetProperty("n").GetInt32()));
            Assert.All(received, b => Assert.Equal(b.Id, b.Payload.GetProperty("id").GetString()));
        }
        Assert.Equal(offsets[^1], room.LastDatabaseOffset);
    }
}
