using System.Text;
using CsCheck;
using Sluice.Protocol;

namespace Sluice.Tests.Protocol;

public sealed class ClientMessageParserTests
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
    public void Parses_a_seed_subscribe_frame()
    {
        var message = Parse("""{"type":"subscribe","channel":"table:public.products"}""");
        Assert.Equal("subscribe", message.Type);
        Assert.Equal("table:public.products", message.Channel);
        Assert.Null(message.Events);
        Assert.Null(message.Filter);
        Assert.False(message.Snapshot);
    }

    [Fact]
    public void Parses_the_additive_fields_and_ignores_unknown_ones()
    {
        var message = Parse("""{"type":"subscribe","channel":"c","events":["insert","DELETE"],"filter":"id=eq.1","since":"x","snapshot":true,"extra":{"nested":[1,2]}}""");
        Assert.Equal(ChangeEvents.Insert | ChangeEvents.Delete, message.Events);
        Assert.Equal("id=eq.1", message.Filter);
        Assert.Equal("x", message.Since);
        Assert.True(message.Snapshot);
        Assert.Equal(ChangeEvents.All, Parse("""{"type":"subscribe","events":["*"]}""").Events);
    }

    [Theory]
    [InlineData("", ErrorCodes.InvalidJson)]
    [InlineData("{", ErrorCodes.InvalidJson)]
    [InlineData("null", ErrorCodes.InvalidJson)]
    [InlineData("[]", ErrorCodes.InvalidJson)]
    [InlineData("{} {}", ErrorCodes.InvalidJson)]
    [InlineData("{\"type\":\"subscribe\",}", ErrorCodes.InvalidJson)]
    [InlineData("{}", ErrorCodes.MissingField)]
    [InlineData("{\"type\":null}", ErrorCodes.MissingField)]
    [InlineData("{\"type\":1}", ErrorCodes.InvalidField)]
    [InlineData("{\"type\":\"subscribe\",\"channel\":[]}", ErrorCodes.InvalidField)]
    [InlineData("{\"type\":\"subscribe\",\"snapshot\":\"yes\"}", ErrorCodes.InvalidField)]
    [InlineData("{\"type\":\"subscribe\",\"events\":[\"MERGE\"]}", ErrorCodes.InvalidEvents)]
    [InlineData("{\"type\":\"subscribe\",\"events\":[1]}", ErrorCodes.InvalidEvents)]
    [InlineData("{\"type\":\"subscribe\",\"events\":{}}", ErrorCodes.InvalidEvents)]
    public void Reports_malformed_frames_with_stable_codes(string json, string code) => Assert.Equal(code, Fail(json).Code);

    [Fact]
    public void Deeply_nested_input_is_an_error_not_a_crash()
    {
        var json = "{\"type\":\"subscribe\",\"x\":" + new string('[', 10_000) + new string(']', 10_000) + "}";
        Assert.Equal(ErrorCodes.InvalidJson, Fail(json).Code);
    }

    [Fact]
    public void Never_throws_on_arbitrary_bytes()
    {
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            var parsed = ClientMessageParser.TryParse(bytes, out var message, out var error);
            Assert.True(parsed ? message is not null : error is not null);
        });
    }

    [Fact]
    public void Parses_an_auth_frame_with_its_token()
    {
        var message = Parse("""{"type":"auth","token":"eyJ.a.b"}""");
        Assert.Equal(FrameTypes.Auth, message.Type);
        Assert.Equal("eyJ.a.b", message.Token);
        Assert.Null(Parse("""{"type":"auth"}""").Token);
        Assert.Null(Parse("""{"type":"auth","token":null}""").Token);
    }

    [Theory]
    [InlineData("""{"type":"auth","token":42}""")]
    [InlineData("""{"type":"auth","token":{"jwt":"x"}}""")]
    [InlineData("""{"type":"auth","token":["x"]}""")]
    public void A_token_that_is_not_a_string_is_an_invalid_field(string json)
    {
        var error = Fail(json);
        Assert.Equal(ErrorCodes.InvalidField, error.Code);
        Assert.Contains("token", error.Message, StringComparison.Ordinal);
    }
}
