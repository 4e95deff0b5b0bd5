using System.Text;
using System.Text.Json;
using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Log;
using Sluice.Server.Protocols.Messages;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Routing;
using Sluice.Tests.Routing;

namespace Sluice.Tests.Protocols.Native;

/// <summary>
/// Table subscriptions with an id on the native protocol: the router channel per (channel, id), the id on every frame the
/// router sends, one serialization shared by all receivers of one (channel, id), and frames without an id unchanged.
/// </summary>
public sealed class SubscriptionIdTests
{
    private static readonly TableSchema Table = new(1, "public", "t",
    [
        new TableColumn("id", new ColumnType(20, ValueKind.Integer), IsKey: true),
    ]);

    private static readonly DateTime Now = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("table:public.t", null)]
    [InlineData("table:public.t", "a")]
    [InlineData("table:public.\"we:ird\"", "x-1.y_2")]
    [InlineData("table:\"native:sub:a:\".t", null)]
    public void A_router_channel_reads_back_as_its_channel_and_id(string channel, string? id)
    {
        var key = new NativeSubscriptionKey(channel, id);
        Assert.Equal(key, NativeSubscriptionKey.FromRouterChannel(key.RouterChannel));
        if (id is null)
            Assert.Equal(channel, key.RouterChannel);
        else
            Assert.NotEqual(channel, key.RouterChannel);
    }

    [Fact]
    public void Receivers_of_one_channel_and_id_share_bytes_and_each_id_has_its_own_frames()
    {
        var log = new ChangeLog(new LogEpoch("00000001"), new RetentionLimits(1000, long.MaxValue, TimeSpan.FromHours(1)));
        log.Start(0);
        var router = new SubscriptionRouter(log);
        var (first, second, other, plain) = (new RecordingSink(), new RecordingSink(), new RecordingSink(), new RecordingSink());
        Subscribe(router, first, "a");
        Subscribe(router, second, "a");
        Subscribe(router, other, "b");
        Subscribe(router, plain, null);
        // Two subscriptions of one table on one connection.
        Subscribe(router, first, "b");

        router.Dispatch(new TransactionBatch
        {
            Xid = 100,
            CommitLsn = 100,
            CommitTimestamp = Now,
            FirstIndex = 0,
            Changes = [new RowChange(ChangeKind.Insert, Table, ["7"], null)],
            IsLast = true,
            EndLsn = 110,
        }, Now);

        Assert.Equal([("ack", "a"), ("ack", "b"), ("broadcast", "a"), ("broadcast", "b")], Kinds(first));
        Assert.Same(first.Frames[2], second.Frames[^1]);
        Assert.Same(first.Frames[3], other.Frames[^1]);
        Assert.Equal([("ack", null), ("broadcast", null)], Kinds(plain));
        // Without an id the frame is the one written before ids existed.
        var entry = log[0];
        Assert.Equal(NativeFrames.Change("table:public.t", entry, transactionEnd: true), plain.Frames[^1]);
        Assert.DoesNotContain("\"id\":\"", Encoding.UTF8.GetString(plain.Frames[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void The_parser_reads_the_id_and_echoes_only_a_valid_one_in_its_errors()
    {
        Assert.True(ClientMessageParser.TryParse("""{"type":"subscribe","channel":"table:public.t","id":"a"}"""u8, out var message, out _));
        Assert.Equal("a", message.Id);
        Assert.False(ClientMessageParser.TryParse("""{"type":"subscribe","channel":"table:public.t","id":"a","snapshot":3}"""u8, out _, out var error));
        Assert.Equal((ErrorCodes.InvalidField, "a"), (error.Code, error.Id));
        Assert.False(ClientMessageParser.TryParse("""{"type":"subscribe","channel":"table:public.t","id":"a b","snapshot":3}"""u8, out _, out error));
        Assert.Null(error.Id);
        Assert.False(ClientMessageParser.TryParse("""{"type":"subscribe","channel":"table:public.t","id":7}"""u8, out _, out error));
        Assert.Equal(ErrorCodes.InvalidField, error.Code);
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("AZaz09_-.", true)]
    [InlineData("", false)]
    [InlineData("a:b", false)]
    [InlineData("a b", false)]
    [InlineData("\u00e9", false)]
    public void The_id_rule(string id, bool valid) => Assert.Equal(valid, SubscriptionIds.IsValid(id, out _));

    [Fact]
    public void The_id_rule_bounds_the_length()
    {
        Assert.True(SubscriptionIds.IsValid(new string('a', SubscriptionIds.MaxLength), out _));
        Assert.False(SubscriptionIds.IsValid(new string('a', SubscriptionIds.MaxLength + 1), out _));
    }

    private static void Subscribe(SubscriptionRouter router, RecordingSink connection, string? id) =>
        router.Subscribe(new Subscription(connection, new NativeSubscriptionKey("table:public.t", id).RouterChannel, new TableKey("public", "t"),
            ChangeEvents.All, null, null, null)
        {
            Format = NativeChangeFormat.Default,
        });

    private static List<(string Type, string? Id)> Kinds(RecordingSink connection) =>
        [.. connection.Frames.Select(bytes =>
        {
            using var frame = JsonDocument.Parse(bytes);
            var root = frame.RootElement;
            Assert.Equal("table:public.t", root.GetProperty("channel").GetString());
            return (root.GetProperty("type").GetString()!, root.TryGetProperty("id", out var id) ? id.GetString() : null);
        })];
}
