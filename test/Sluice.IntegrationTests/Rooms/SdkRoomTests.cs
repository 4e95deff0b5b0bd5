using System.Text.Json;
using Sluice.Client;
using Sluice.IntegrationTests.Client;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Rooms;

/// <summary>The C# SDK's rooms against the real server: broadcast with ack, delivery to others, presence, refusals.</summary>
public sealed class SdkRoomTests(PostgresFixture postgres) : RoomTest(postgres)
{
    private sealed record Cursor(int X, int Y);

    private sealed record Status(string Name);

    [Fact]
    public async Task Two_sdk_clients_share_messages_and_presence()
    {
        await using var alice = SdkClients.Create(Server.WebSocketUrl);
        await using var bob = SdkClients.Create(Server.WebSocketUrl);
        var aliceRoom = alice.Room("lobby");
        var bobRoom = bob.Room("lobby");
        var received = new List<RoomMessage<JsonElement>>();
        bobRoom.OnMessage(message =>
        {
            lock (received)
                received.Add(message);
        });
        await alice.StartAsync();
        await bob.StartAsync();
        await aliceRoom.WaitUntilSubscribedAsync();
        await bobRoom.WaitUntilSubscribedAsync();

        var offsets = new List<string>();
        for (var i = 0; i < 20; i++)
            offsets.Add((await aliceRoom.BroadcastAsync("cursor", new Cursor(i, -i), new BroadcastOptions { Ack = true }))!);
        await SdkClients.EventuallyAsync(() => { lock (received) return received.Count == 20; }, () => $"{received.Count} of 20 messages");
        lock (received)
        {
            Assert.Equal(offsets, received.Select(m => m.Offset));
            Assert.Equal(Enumerable.Range(0, 20), received.Select(m => m.Payload.GetProperty("x").GetInt32()));
            Assert.All(received, m => Assert.Equal("cursor", m.Event));
        }

        await aliceRoom.TrackAsync(new Status("alice"), key: "alice");
        await SdkClients.EventuallyAsync(() => bobRoom.Presence.ContainsKey("alice"), () => "alice's presence at bob");
        Assert.Equal("alice", Assert.Single(bobRoom.Presence["alice"]).GetState<JsonElement>().GetProperty("name").GetString());

        await aliceRoom.UntrackAsync();
        await SdkClients.EventuallyAsync(() => !bobRoom.Presence.ContainsKey("alice"), () => "alice's leave at bob");

        var refused = await Assert.ThrowsAsync<SluiceException>(() =>
            aliceRoom.BroadcastAsync("big", new string('x', MaxPayloadBytes), new BroadcastOptions { Ack = true }));
        Assert.Equal(ErrorCodes.PayloadTooLarge, refused.Code);
    }
}
