using System.Text.Json;
using Sluice.Server.Protocols.Supabase;

namespace Sluice.Tests.Protocols.Supabase;

public sealed class ReplayRequestTests
{
    private static ReplayAsk Read(string join, out ReplayRequest request) => ReplayRequest.Read(JsonDocument.Parse(join).RootElement.Clone(), out request);

    private static string WithReplay(string replay) => """{"config":{"broadcast":{"self":false,"replay":""" + replay + """},"private":true}}""";

    [Fact]
    public void Since_in_milliseconds_and_the_limit_are_read()
    {
        Assert.Equal(ReplayAsk.Valid, Read(WithReplay("""{"since":1764720000123,"limit":10}"""), out var request));
        Assert.Equal(new DateTime(2025, 12, 3, 0, 0, 0, 123, DateTimeKind.Utc), request.Since);
        Assert.Equal(DateTimeKind.Utc, request.Since.Kind);
        Assert.Equal(10, request.Limit);
    }

    [Theory]
    [InlineData("""{"since":0}""", 25)]
    [InlineData("""{"since":0,"limit":null}""", 25)]
    [InlineData("""{"since":0,"limit":100}""", 25)]
    [InlineData("""{"since":0,"limit":0}""", 1)]
    [InlineData("""{"since":0,"limit":-5}""", 1)]
    [InlineData("""{"since":0,"limit":25}""", 25)]
    public void The_limit_defaults_to_25_and_is_clamped_to_1_through_25(string replay, int limit)
    {
        Assert.Equal(ReplayAsk.Valid, Read(WithReplay(replay), out var request));
        Assert.Equal(limit, request.Limit);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"limit":5}""")]
    [InlineData("""{"since":"1764720000123"}""")]
    [InlineData("""{"since":{}}""")]
    [InlineData("""{"since":1.5}""")]
    [InlineData("""{"since":1e30}""")]
    [InlineData("""{"since":0,"limit":"5"}""")]
    [InlineData("""{"since":0,"limit":2.5}""")]
    public void Since_is_required_and_both_must_be_integers(string replay) =>
        Assert.Equal(ReplayAsk.Invalid, Read(WithReplay(replay), out _));

    [Theory]
    [InlineData("null")]
    [InlineData("5")]
    [InlineData("\"x\"")]
    [InlineData("[]")]
    public void A_replay_that_is_not_an_object_is_ignored(string replay) =>
        Assert.Equal(ReplayAsk.Ignored, Read(WithReplay(replay), out _));

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"config":{}}""")]
    [InlineData("""{"config":{"broadcast":{"self":true}}}""")]
    [InlineData("""{"config":{"broadcast":null}}""")]
    [InlineData("[]")]
    public void Without_the_key_nothing_is_asked(string join) =>
        Assert.Equal(ReplayAsk.None, Read(join, out _));
}
