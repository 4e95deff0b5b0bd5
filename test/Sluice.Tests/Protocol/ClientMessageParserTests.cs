using System.Text;
using CsCheck;
using Sluice.Protocol;
using Sluice.Server.Protocols.Messages;

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

    [Theory]
    [InlineData("""{"type":"\ud800"}""")]
    [InlineData("""{"type":"\udc00x"}""")]
    [InlineData("""{"type":"subscribe","channel":"table:public.\ud83d"}""")]
    [InlineData("""{"\ud800":1,"type":"heartbeat"}""")]
    [InlineData("""{"type":"broadcast","channel":"room:a","event":"e","payload":{"x":["\udfff"]}}""")]
    [InlineData("""{"type":"presence","channel":"room:a","state":{"\ud800":true}}""")]
    [InlineData("""{"type":"subscribe","filter":"name=eq.\ud800\ud800"}""")]
    public void A_lone_surrogate_escape_anywhere_is_invalid_json(string json)
    {
        var error = Fail(json);
        Assert.Equal(ErrorCodes.InvalidJson, error.Code);
        Assert.Contains("surrogate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_surrogate_pair_escape_is_a_valid_string() =>
        Assert.Equal("table:public.\U0001F600", Parse("""{"type":"subscribe","channel":"table:public.\ud83d\ude00"}""").Channel);

    /// <summary>
    /// The hostile-client fuzz: well-formed frames whose strings (type, channel, filter, names, nested payload values)
    /// hold escapes that may be lone surrogates, and big values. Parsing never throws, and a frame fails exactly when one
    /// of its escapes is a lone surrogate or it is otherwise malformed.
    /// </summary>
    [Fact]
    public void Never_throws_on_frames_with_surrogate_escapes_and_big_values()
    {
        var escape = Gen.OneOf(
            Gen.Const("\\ud800"), Gen.Const("\\udbff"), Gen.Const("\\udc00"), Gen.Const("\\udfff"),
            Gen.Const("\\ud83d\\ude00"), Gen.Const("\\u0041"), Gen.Const("a"), Gen.Const("\\n"), Gen.Const("é"));
        var text = escape.Array[0, 6].Select(parts => string.Concat(parts));
        var big = Gen.Int[0, 70_000].Select(n => new string('x', n));
        var field = Gen.OneOf(Gen.Const("type"), Gen.Const("channel"), Gen.Const("filter"), Gen.Const("since"), Gen.Const("event"), Gen.Const("ref"), Gen.Const("key"));
        var member = Gen.Select(field, text, big, Gen.Bool, (name, value, padding, nested) => nested
            ? $"\"payload\":{{\"{value}\":[\"{value}{padding}\"]}}"
            : $"\"{name}\":\"{value}{padding}\"");
        member.Array[1, 5].Sample(members =>
        {
            var json = "{" + string.Join(",", members) + "}";
            var parsed = ClientMessageParser.TryParse(Encoding.UTF8.GetBytes(json), out var message, out var error);
            Assert.True(parsed ? message is not null : error is not null);
            if (HasLoneSurrogate(json))
                Assert.True(!parsed && error!.Code == ErrorCodes.InvalidJson, $"{json[..Math.Min(200, json.Length)]} was not refused as invalid_json");
        }, iter: 200);
    }

    /// <summary>Whether the JSON text has a \\uD800-\\uDFFF escape that is not half of a high-low pair.</summary>
    private static bool HasLoneSurrogate(string json)
    {
        for (var i = 0; i + 5 < json.Length; i++)
        {
            if (json[i] != '\\' || json[i + 1] != 'u')
                continue;
            var unit = Convert.ToInt32(json.Substring(i + 2, 4), 16);
            if (unit is >= 0xD800 and <= 0xDBFF && i + 11 < json.Length && json[i + 6] == '\\' && json[i + 7] == 'u'
                && Convert.ToInt32(json.Substring(i + 8, 4), 16) is >= 0xDC00 and <= 0xDFFF)
            {
                i += 11;
                continue;
            }
            if (unit is >= 0xD800 and <= 0xDFFF)
                return true;
            i += 5;
        }
        return false;
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
