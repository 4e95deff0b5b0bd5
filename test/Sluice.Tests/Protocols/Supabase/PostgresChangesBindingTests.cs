using System.Text;
using System.Text.Json;
using Sluice.Protocol;
using Sluice.Server.Protocols.Supabase;

namespace Sluice.Tests.Protocols.Supabase;

public sealed class PostgresChangesBindingTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void Join_without_bindings_has_none()
    {
        Assert.True(PostgresChangesBinding.TryParseAll(Json("""{"config":{"broadcast":{"self":false}}}"""), out var bindings, out _));
        Assert.Empty(bindings);
        Assert.True(PostgresChangesBinding.TryParseAll(Json("{}"), out bindings, out _));
        Assert.Empty(bindings);
    }

    [Fact]
    public void Bindings_are_parsed_in_order()
    {
        Assert.True(PostgresChangesBinding.TryParseAll(Json("""
            {"config":{"postgres_changes":[
              {"event":"*","schema":"public","table":"todos"},
              {"event":"INSERT","schema":"app","table":"t","filter":"id=eq.1"},
              {"event":"delete","table":"x"},
              {"event":"UPDATE","schema":"public"}]}}
            """), out var bindings, out var error), error);
        Assert.Equal(4, bindings.Count);
        Assert.Equal(ChangeEvents.Insert | ChangeEvents.Update | ChangeEvents.Delete, bindings[0].Events);
        Assert.Equal(("app", "t", "id=eq.1", ChangeEvents.Insert), (bindings[1].Schema, bindings[1].Table, bindings[1].Filter, bindings[1].Events));
        Assert.Equal(("public", "x", ChangeEvents.Delete), (bindings[2].Schema, bindings[2].Table, bindings[2].Events));
        Assert.Null(bindings[3].Table);
        Assert.Equal("delete", bindings[2].Event);
    }

    [Fact]
    public void Ids_are_stable_nonzero_and_differ_between_bindings()
    {
        var a = Parse("""{"event":"*","schema":"public","table":"todos"}""");
        var b = Parse("""{"table":"todos","schema":"public","event":"*"}""");
        var c = Parse("""{"event":"*","schema":"public","table":"todos","filter":"id=eq.1"}""");
        Assert.Equal(a.Id, b.Id);
        Assert.NotEqual(a.Id, c.Id);
        Assert.True(a.Id > 0 && c.Id > 0);
    }

    [Theory]
    [InlineData("""{"config":{"postgres_changes":{}}}""")]
    [InlineData("""{"config":{"postgres_changes":[{"event":"TRUNCATE","schema":"public","table":"t"}]}}""")]
    [InlineData("""{"config":{"postgres_changes":[{"schema":"public","table":"t"}]}}""")]
    [InlineData("""{"config":{"postgres_changes":["x"]}}""")]
    [InlineData("""{"config":{"postgres_changes":[{"event":"*","table":"t","select":[]}]}}""")]
    [InlineData("""{"config":{"postgres_changes":[{"event":"*","table":"t","select":"id"}]}}""")]
    [InlineData("""{"config":{"postgres_changes":[{"event":"*","table":"t","select":["id",""]}]}}""")]
    [InlineData("""{"config":{"postgres_changes":[{"event":"*","table":"t","since":"yesterday"}]}}""")]
    [InlineData("""{"config":{"postgres_changes":[{"event":"*","table":"t","since":42}]}}""")]
    public void Bad_bindings_are_refused(string payload)
    {
        Assert.False(PostgresChangesBinding.TryParseAll(Json(payload), out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Join_reply_echoes_each_binding_unchanged_plus_its_id()
    {
        Assert.True(PostgresChangesBinding.TryParseAll(Json("""{"config":{"postgres_changes":[{"event":"*","schema":"public","table":"todos"},{"event":"INSERT","schema":"public","table":"todos","filter":"id=eq.1"}]}}"""),
            out var bindings, out _));
        var text = Encoding.UTF8.GetString(SupabaseFrames.JoinReply(PhoenixVersion.V2, "6", "6", "realtime:room1", bindings));
        Assert.Equal($$$"""["6","6","realtime:room1","phx_reply",{"status":"ok","response":{"postgres_changes":[{"event":"*","schema":"public","table":"todos","id":{{{bindings[0].Id}}}},{"event":"INSERT","schema":"public","table":"todos","filter":"id=eq.1","id":{{{bindings[1].Id}}}}]}}]""", text);
    }

    [Fact]
    public void Select_is_part_of_the_id_in_any_order_and_since_is_not()
    {
        var all = Parse("""{"event":"*","schema":"public","table":"todos"}""");
        var some = Parse("""{"event":"*","schema":"public","table":"todos","select":["id","title"]}""");
        var reordered = Parse("""{"event":"*","schema":"public","table":"todos","select":["title","id","id"]}""");
        var resumed = Parse("""{"event":"*","schema":"public","table":"todos","since":"0a1b2c3d-00000000016B3748-00000003"}""");
        Assert.NotEqual(all.Id, some.Id);
        Assert.Equal(some.Id, reordered.Id);
        Assert.Equal(["title", "id"], reordered.Select);
        Assert.Equal(all.Id, resumed.Id);
        Assert.Equal("0a1b2c3d", resumed.SinceEpoch);
        Assert.Equal(new Sluice.Server.Log.ChangeOffset(0x16B3748, 3), resumed.SinceOffset);
    }

    [Fact]
    public void Supabase_options_are_validated()
    {
        Assert.Empty(new SupabaseOptions().Validate());
        Assert.Equal(2, new SupabaseOptions { MaxRecordBytes = 10, IdleTimeout = TimeSpan.Zero }.Validate().Count);
    }

    [Fact]
    public void The_expiry_message_says_how_long_ago()
    {
        var exp = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal("Token has expired 3 seconds ago", SupabaseSession.ExpiredMessage(exp, exp.AddSeconds(3.7)));
        Assert.Equal("Token has expired 0 seconds ago", SupabaseSession.ExpiredMessage(exp, exp.AddSeconds(-1)));
    }

    private static PostgresChangesBinding Parse(string json)
    {
        Assert.True(PostgresChangesBinding.TryParse(Json(json), out var binding, out _));
        return binding!;
    }

    [Theory]
    [InlineData("2026-11-23T08:18:13.421123Z", "2026-11-23T08:18:13.421Z")]
    [InlineData("2026-11-23T08:18:13Z", "2026-11-23T08:18:13Z")]
    public void Commit_timestamps_have_milliseconds(string captured, string expected) =>
        Assert.Equal(expected, SupabaseChangeFormat.Milliseconds(captured));
}
