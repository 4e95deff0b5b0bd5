using System.Text;
using Sluice.Protocol;
using Sluice.Server.Protocols.Messages;

namespace Sluice.Tests.Protocol;

/// <summary>The room fields of client frames: <c>event</c>, raw <c>payload</c>, <c>self</c>, <c>ack</c>, <c>ref</c>, <c>state</c>, <c>key</c>.</summary>
public sealed class RoomFrameParserTests
{
    private static ClientMessage Parse(string json)
    {
        Assert.True(ClientMessageParser.TryParse(Encoding.UTF8.GetBytes(json), out var message, out var error), error?.Message);
        return message;
    }

    private static ProtocolError Fail(string json)
    {
        Assert.False(ClientMessageParser.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
        return error;
    }

    [Fact]
    public void A_broadcast_keeps_its_payload_as_raw_json()
    {
        var message = Parse("""{"type":"broadcast","channel":"room:lobby","event":"cursor","payload": {"x": [1, 2.50, "é"], "y": null} ,"self":true,"ack":true,"ref":"c1"}""");
        Assert.Equal(FrameTypes.Broadcast, message.Type);
        Assert.Equal("cursor", message.Event);
        Assert.Equal("""{"x": [1, 2.50, "é"], "y": null}""", Encoding.UTF8.GetString(message.Payload!));
        Assert.True(message.Self);
        Assert.True(message.Ack);
        Assert.Equal("c1", message.Ref);
    }

    [Theory]
    [InlineData("\"text\"")]
    [InlineData("12.5e3")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("[]")]
    [InlineData("\"with \\\"escapes\\\" \\u00e9\"")]
    public void Any_json_value_is_a_payload(string payload)
    {
        var message = Parse($$"""{"payload":{{payload}},"type":"broadcast"}""");
        Assert.Equal(payload, Encoding.UTF8.GetString(message.Payload!));
    }

    [Fact]
    public void Self_and_ack_default_to_false_and_a_missing_payload_is_null()
    {
        var message = Parse("""{"type":"broadcast","channel":"room:lobby","event":"e"}""");
        Assert.False(message.Self);
        Assert.False(message.Ack);
        Assert.Null(message.Payload);
        Assert.Null(message.Ref);
    }

    [Fact]
    public void Presence_state_is_an_object_or_null_and_its_presence_is_recorded()
    {
        var tracked = Parse("""{"type":"presence","channel":"room:lobby","state":{"status":"online"},"key":"alice"}""");
        Assert.True(tracked.HasState);
        Assert.Equal("""{"status":"online"}""", Encoding.UTF8.GetString(tracked.State!));
        Assert.Equal("alice", tracked.Key);

        var untracked = Parse("""{"type":"presence","channel":"room:lobby","state":null}""");
        Assert.True(untracked.HasState);
        Assert.Null(untracked.State);

        var missing = Parse("""{"type":"presence","channel":"room:lobby"}""");
        Assert.False(missing.HasState);
    }

    [Theory]
    [InlineData("""{"type":"presence","state":[1]}""")]
    [InlineData("""{"type":"presence","state":"online"}""")]
    [InlineData("""{"type":"broadcast","self":"yes"}""")]
    [InlineData("""{"type":"broadcast","ack":1}""")]
    [InlineData("""{"type":"broadcast","event":5}""")]
    [InlineData("""{"type":"broadcast","ref":{}}""")]
    [InlineData("""{"type":"presence","key":[]}""")]
    public void Wrongly_typed_room_fields_are_invalid(string json) =>
        Assert.Equal(ErrorCodes.InvalidField, Fail(json).Code);

    [Fact]
    public void A_truncated_payload_is_invalid_json() =>
        Assert.Equal(ErrorCodes.InvalidJson, Fail("""{"type":"broadcast","payload":{"a":1""").Code);
}
