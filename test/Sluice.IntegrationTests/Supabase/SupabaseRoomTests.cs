using System.Text;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>Broadcast and presence on Supabase channels, mapped onto Sluice rooms (<c>realtime:x</c> is the room of native <c>room:x</c>).</summary>
public sealed class SupabaseRoomTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private static JsonObject Config(bool self = false, bool ack = false, string presenceKey = "") => new()
    {
        ["config"] = new JsonObject
        {
            ["broadcast"] = new JsonObject { ["self"] = self, ["ack"] = ack },
            ["presence"] = new JsonObject { ["key"] = presenceKey },
            ["postgres_changes"] = new JsonArray(),
        },
    };

    private static JsonObject BroadcastPayload(string eventName, JsonNode payload) =>
        new() { ["type"] = "broadcast", ["event"] = eventName, ["payload"] = payload };

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Broadcast_honours_self_and_ack(string vsn)
    {
        var a = await ConnectPhoenixAsync(vsn);
        var b = await ConnectPhoenixAsync(vsn);
        var (aJoin, _) = await a.JoinAsync("realtime:chat", Config(self: true, ack: true));
        var (bJoin, _) = await b.JoinAsync("realtime:chat", Config());

        var reference = await a.PushAsync("realtime:chat", "broadcast", BroadcastPayload("cursor", new JsonObject { ["x"] = 1 }), aJoin);
        var ack = await a.NextAsync(f => f.Event == "phx_reply" && f.Ref == reference);
        Assert.Equal("ok", ack.Payload.GetProperty("status").GetString());
        var own = await a.NextEventAsync("broadcast");
        Assert.Equal("cursor", own.Payload.GetProperty("event").GetString());
        var received = await b.NextEventAsync("broadcast");
        Assert.Null(received.Ref);
        Assert.Null(received.JoinRef);
        Assert.Equal("realtime:chat", received.Topic);
        Assert.Equal("broadcast", received.Payload.GetProperty("type").GetString());
        Assert.Equal(1, received.Payload.GetProperty("payload").GetProperty("x").GetInt32());

        // Without self the sender does not get its message; without ack there is no reply.
        await b.PushAsync("realtime:chat", "broadcast", BroadcastPayload("typing", new JsonObject { ["who"] = "b" }), bJoin);
        var atA = await a.NextEventAsync("broadcast");
        Assert.Equal("typing", atA.Payload.GetProperty("event").GetString());
        var marker = await b.PushAsync("phoenix", "heartbeat", null, null);
        var next = await b.NextAsync(f => f.Event is "broadcast" or "phx_reply");
        Assert.Equal(marker, next.Ref);
    }

    [Fact]
    public async Task V2_binary_user_broadcast_push_reaches_v1_and_v2_subscribers()
    {
        var sender = await ConnectPhoenixAsync("2.0.0");
        var v1 = await ConnectPhoenixAsync("1.0.0");
        var v2 = await ConnectPhoenixAsync("2.0.0");
        var (joinRef, _) = await sender.JoinAsync("realtime:bin", Config(ack: true));
        await v1.JoinAsync("realtime:bin", Config());
        var (v2JoinRef, _) = await v2.JoinAsync("realtime:bin", Config());

        var reference = sender.NextRef();
        byte[] Header(string s) => Encoding.UTF8.GetBytes(s);
        var joinBytes = Header(joinRef);
        var refBytes = Header(reference);
        var topic = Header("realtime:bin");
        var eventName = Header("cursor");
        var payload = Header("""{"x":1,"y":2}""");
        await sender.SendBinaryAsync([3, (byte)joinBytes.Length, (byte)refBytes.Length, (byte)topic.Length, (byte)eventName.Length, 0, 1,
            .. joinBytes, .. refBytes, .. topic, .. eventName, .. payload]);

        var reply = await sender.NextAsync(f => f.Event == "phx_reply" && f.Ref == reference);
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        var received = await v1.NextEventAsync("broadcast");
        Assert.False(received.Binary); // vsn 1.0.0 never gets binary
        Assert.Equal("cursor", received.Payload.GetProperty("event").GetString());
        Assert.Equal(2, received.Payload.GetProperty("payload").GetProperty("y").GetInt32());

        // A vsn 2.0.0 subscriber gets a binary push as a binary kind-4 message, a JSON push as JSON.
        var binary = await v2.NextEventAsync("broadcast");
        Assert.True(binary.Binary, "a binary push reaches vsn 2.0.0 as kind 4");
        Assert.Equal("realtime:bin", binary.Topic);
        Assert.Equal("cursor", binary.Payload.GetProperty("event").GetString());
        Assert.Equal(2, binary.Payload.GetProperty("payload").GetProperty("y").GetInt32());
        await sender.PushAsync("realtime:bin", "broadcast", BroadcastPayload("text", new JsonObject { ["z"] = 3 }), joinRef);
        var text = await v2.NextEventAsync("broadcast");
        Assert.False(text.Binary);
        Assert.Equal(3, text.Payload.GetProperty("payload").GetProperty("z").GetInt32());
        _ = v2JoinRef;
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Native_and_supabase_clients_share_a_room(string vsn)
    {
        var phoenix = await ConnectPhoenixAsync(vsn);
        var (joinRef, _) = await phoenix.JoinAsync("realtime:lobby", Config());
        var native = await ConnectAsync();
        await native.SendAsync(new { type = "subscribe", channel = "room:lobby" });
        while ((await native.NextAsync()).GetProperty("type").GetString() != "presence_state")
        {
        }

        await phoenix.PushAsync("realtime:lobby", "broadcast", BroadcastPayload("hello", new JsonObject { ["from"] = "supabase" }), joinRef);
        var atNative = await native.NextAsync();
        Assert.Equal("broadcast", atNative.GetProperty("type").GetString());
        Assert.Equal("room:lobby", atNative.GetProperty("channel").GetString());
        Assert.Equal("hello", atNative.GetProperty("event").GetString());
        Assert.Equal("supabase", atNative.GetProperty("payload").GetProperty("from").GetString());

        await native.SendAsync(new { type = "broadcast", channel = "room:lobby", @event = "hi", payload = new { from = "native" } });
        var atPhoenix = await phoenix.NextEventAsync("broadcast");
        Assert.Equal("hi", atPhoenix.Payload.GetProperty("event").GetString());
        Assert.Equal("native", atPhoenix.Payload.GetProperty("payload").GetProperty("from").GetString());
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Presence_track_untrack_and_leave_send_state_and_diffs(string vsn)
    {
        var a = await ConnectPhoenixAsync(vsn);
        var b = await ConnectPhoenixAsync(vsn);
        var (aJoin, _) = await a.JoinAsync("realtime:pres", Config(presenceKey: "user-1"));
        var empty = await a.NextEventAsync("presence_state");
        Assert.Equal(a.IsV2 ? aJoin : null, empty.JoinRef);
        Assert.Empty(empty.Payload.EnumerateObject());

        var track = await a.PushAsync("realtime:pres", "presence",
            new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject { ["online_at"] = "t1" } }, aJoin);
        Assert.Equal("ok", (await a.NextAsync(f => f.Event == "phx_reply" && f.Ref == track)).Payload.GetProperty("status").GetString());
        var diff = await a.NextEventAsync("presence_diff");
        var meta = diff.Payload.GetProperty("joins").GetProperty("user-1").GetProperty("metas")[0];
        Assert.Equal("t1", meta.GetProperty("online_at").GetString());
        Assert.False(string.IsNullOrEmpty(meta.GetProperty("phx_ref").GetString()));
        Assert.Empty(diff.Payload.GetProperty("leaves").EnumerateObject());

        var (bJoin, _) = await b.JoinAsync("realtime:pres", Config(presenceKey: "user-2"));
        var state = await b.NextEventAsync("presence_state");
        Assert.Equal(b.IsV2 ? bJoin : null, state.JoinRef);
        Assert.Equal("t1", state.Payload.GetProperty("user-1").GetProperty("metas")[0].GetProperty("online_at").GetString());

        var untrack = await a.PushAsync("realtime:pres", "presence", new JsonObject { ["type"] = "presence", ["event"] = "untrack" }, aJoin);
        await a.NextAsync(f => f.Event == "phx_reply" && f.Ref == untrack);
        var left = await b.NextEventAsync("presence_diff");
        Assert.Equal("t1", left.Payload.GetProperty("leaves").GetProperty("user-1").GetProperty("metas")[0].GetProperty("online_at").GetString());

        // Leaving the channel (here: closing the socket) removes what it tracked.
        await a.PushAsync("realtime:pres", "presence",
            new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject { ["online_at"] = "t2" } }, aJoin);
        var joinedAgain = await b.NextEventAsync("presence_diff");
        Assert.True(joinedAgain.Payload.GetProperty("joins").TryGetProperty("user-1", out _));
        await a.PushAsync("realtime:pres", "phx_leave", null, aJoin);
        var gone = await b.NextEventAsync("presence_diff");
        Assert.Equal("t2", gone.Payload.GetProperty("leaves").GetProperty("user-1").GetProperty("metas")[0].GetProperty("online_at").GetString());
    }
}
