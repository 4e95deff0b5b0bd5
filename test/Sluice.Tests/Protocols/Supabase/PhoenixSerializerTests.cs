using System.Text;
using System.Text.Json;
using Sluice.Server.Protocols.Supabase;

namespace Sluice.Tests.Protocols.Supabase;

public sealed class PhoenixSerializerTests
{
    [Theory]
    [InlineData(null, PhoenixVersion.V1)]
    [InlineData("1.0.0", PhoenixVersion.V1)]
    [InlineData("2.0.0", PhoenixVersion.V2)]
    internal void Known_versions_are_accepted(string? vsn, PhoenixVersion expected)
    {
        Assert.True(PhoenixSerializer.TryParseVersion(vsn, out var version));
        Assert.Equal(expected, version);
    }

    [Fact]
    public void Unknown_version_is_refused() => Assert.False(PhoenixSerializer.TryParseVersion("3.0.0", out _));

    [Fact]
    public void V1_object_is_parsed_with_join_ref()
    {
        var frame = """{"topic":"realtime:room1","event":"broadcast","payload":{"type":"broadcast","event":"cursor","payload":{"x":1}},"ref":"2","join_ref":"1"}"""u8;
        Assert.True(PhoenixSerializer.TryParseText(frame, PhoenixVersion.V1, out var message, out _));
        Assert.Equal(("1", "2", "realtime:room1", "broadcast"), (message!.JoinRef, message.Ref, message.Topic, message.Event));
        Assert.Equal("cursor", message.Payload.GetProperty("event").GetString());
    }

    [Fact]
    public void V1_heartbeat_without_join_ref_is_parsed()
    {
        Assert.True(PhoenixSerializer.TryParseText("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"5"}"""u8, PhoenixVersion.V1, out var message, out _));
        Assert.Null(message!.JoinRef);
        Assert.Equal("5", message.Ref);
    }

    [Fact]
    public void V2_array_is_parsed()
    {
        Assert.True(PhoenixSerializer.TryParseText("""[null,"10","phoenix","heartbeat",{}]"""u8, PhoenixVersion.V2, out var message, out _));
        Assert.Equal((null, "10", "phoenix", "heartbeat"), (message!.JoinRef, message.Ref, message.Topic, message.Event));
    }

    [Theory]
    [InlineData("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"5"}""", PhoenixVersion.V2)]
    [InlineData("""[null,"10","phoenix","heartbeat",{}]""", PhoenixVersion.V1)]
    [InlineData("""[null,"10","phoenix"]""", PhoenixVersion.V2)]
    [InlineData("not json", PhoenixVersion.V1)]
    [InlineData("""[null,"1",3,"x",{}]""", PhoenixVersion.V2)]
    internal void Malformed_or_wrong_version_frames_are_refused(string text, PhoenixVersion version)
    {
        Assert.False(PhoenixSerializer.TryParseText(Encoding.UTF8.GetBytes(text), version, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Binary_user_broadcast_push_is_decoded_as_a_broadcast()
    {
        // realtime-js 2.119.1: 03 01 01 0e 06 00 01 "6" "7" "realtime:room1" "cursor" {"x":1,"y":2}
        var frame = (byte[])[3, 1, 1, 14, 6, 0, 1, .. "67realtime:room1cursor"u8, .. """{"x":1,"y":2}"""u8];
        Assert.True(PhoenixSerializer.TryParseBinary(frame, out var message, out var error), error);
        Assert.Equal(("6", "7", "realtime:room1", "broadcast"), (message!.JoinRef, message.Ref, message.Topic, message.Event));
        Assert.Equal("broadcast", message.Payload.GetProperty("type").GetString());
        Assert.Equal("cursor", message.Payload.GetProperty("event").GetString());
        Assert.Equal(2, message.Payload.GetProperty("payload").GetProperty("y").GetInt32());
        Assert.False(message.Payload.TryGetProperty("meta", out _));
    }

    [Fact]
    public void Binary_push_with_metadata_keeps_it_as_meta()
    {
        var meta = """{"persist":true}"""u8.ToArray();
        var frame = (byte[])[3, 1, 1, 3, 1, (byte)meta.Length, 1, .. "12r:xe"u8, .. meta, .. "[1]"u8];
        Assert.True(PhoenixSerializer.TryParseBinary(frame, out var message, out _));
        Assert.True(message!.Payload.GetProperty("meta").GetProperty("persist").GetBoolean());
        Assert.Equal(JsonValueKind.Array, message.Payload.GetProperty("payload").ValueKind);
    }

    [Theory]
    [InlineData(new byte[] { 4, 1, 1, 1, 1, 0, 1 })]
    [InlineData(new byte[] { 3, 9, 1, 1, 1, 0, 1, 65 })]
    [InlineData(new byte[] { 3, 0, 0, 1, 1, 0, 0, 65, 66, 1, 2 })]
    public void Other_binary_frames_are_refused(byte[] frame) => Assert.False(PhoenixSerializer.TryParseBinary(frame, out _, out _));

    [Fact]
    public void V1_output_is_an_object_without_join_ref()
    {
        var bytes = SupabaseFrames.ReplyOk(PhoenixVersion.V1, "1", "2", "realtime:a");
        Assert.Equal("""{"topic":"realtime:a","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"2"}""", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void V2_output_is_an_array_with_join_ref()
    {
        Assert.Equal("""["1","2","realtime:a","phx_reply",{"status":"ok","response":{}}]""",
            Encoding.UTF8.GetString(SupabaseFrames.ReplyOk(PhoenixVersion.V2, "1", "2", "realtime:a")));
        Assert.Equal("""["1","1","realtime:a","phx_close",{}]""", Encoding.UTF8.GetString(SupabaseFrames.Close(PhoenixVersion.V2, "1", "realtime:a")));
        Assert.Equal("""{"topic":"realtime:a","event":"phx_close","payload":{},"ref":"1"}""", Encoding.UTF8.GetString(SupabaseFrames.Close(PhoenixVersion.V1, "1", "realtime:a")));
    }

    [Fact]
    public void System_message_names_the_sub_topic()
    {
        var text = Encoding.UTF8.GetString(SupabaseFrames.System(PhoenixVersion.V2, "3", "realtime:room1", "postgres_changes", true, "Subscribed to PostgreSQL"));
        Assert.Equal("""["3",null,"realtime:room1","system",{"extension":"postgres_changes","status":"ok","message":"Subscribed to PostgreSQL","channel":"room1"}]""", text);
    }
}
