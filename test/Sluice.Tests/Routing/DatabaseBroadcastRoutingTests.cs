using System.Text;
using System.Text.Json;
using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Log;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Protocols.Supabase;
using Sluice.Server.Routing;

namespace Sluice.Tests.Routing;

/// <summary>
/// A channel's database broadcasts through the real router and change log: exactly its topic's rows of its privacy, read as
/// the server although <c>realtime.messages</c> has row-level security (and only for that subscription kind), binary for
/// vsn 2.0.0 live and in catch-up, and resumable after an offset.
/// </summary>
public sealed class DatabaseBroadcastRoutingTests
{
    private static readonly DateTime Now = new(2026, 12, 3, 7, 0, 0, DateTimeKind.Utc);

    private readonly ChangeLog _log;
    private readonly SubscriptionRouter _router;

    public DatabaseBroadcastRoutingTests()
    {
        _log = new ChangeLog(new LogEpoch("00000001"), new RetentionLimits(1000, long.MaxValue, TimeSpan.FromHours(1)));
        _log.Start(0);
        _router = new SubscriptionRouter(_log);
    }

    private static Subscription Broadcasts(RecordingSink sink, PhoenixVersion version, string topic, bool isPrivate, int maxPayloadBytes = 64 * 1024)
    {
        var format = new SupabaseDatabaseBroadcastFormat(version, "realtime:" + topic, isPrivate);
        var subscription = Subscription.ForDatabaseBroadcasts(sink, format.RouterChannel, topic, isPrivate, RealtimeMessagesRows.Table, format, maxPayloadBytes);
        Assert.NotNull(subscription);
        return subscription;
    }

    /// <summary>Dispatches one transaction of <paramref name="rows"/>, each protected by row-level security (as realtime.messages is).</summary>
    private void Commit(ulong lsn, params RowChange[] rows)
    {
        foreach (var row in rows)
            row.RequireVerdicts();
        _router.Dispatch(new TransactionBatch
        {
            Xid = (uint)lsn,
            CommitLsn = lsn,
            CommitTimestamp = Now,
            FirstIndex = 0,
            Changes = rows,
            IsLast = true,
            EndLsn = lsn + 10,
        }, Now);
    }

    /// <summary>The <c>event</c> of each Supabase broadcast queued to <paramref name="sink"/> (vsn 1.0.0 JSON or vsn 2.0.0 kind 4).</summary>
    private static List<string> Events(RecordingSink sink)
    {
        var events = new List<string>();
        foreach (var frame in sink.Frames)
        {
            if (sink.IsBinary(frame))
            {
                Assert.Equal(4, frame[0]);
                events.Add(Encoding.UTF8.GetString(frame, 5 + frame[1], frame[2]));
                continue;
            }
            using var document = JsonDocument.Parse(frame);
            var root = document.RootElement;
            var payload = root.ValueKind == JsonValueKind.Array ? root[4] : root.GetProperty("payload");
            Assert.Equal("broadcast", root.ValueKind == JsonValueKind.Array ? root[3].GetString() : root.GetProperty("event").GetString());
            events.Add(payload.GetProperty("event").GetString()!);
        }
        return events;
    }

    private static RowChange Send(string eventName, string topic, bool isPrivate, string extension = "broadcast", string? payload = "{\"n\": 1}") =>
        RealtimeMessagesRows.Send(Guid.NewGuid().ToString(), payload, eventName, topic, isPrivate, extension);

    [Fact]
    public void A_channel_gets_exactly_its_topics_broadcasts_of_its_privacy_without_a_row_check()
    {
        var publicSink = new RecordingSink();
        var privateSink = new RecordingSink();
        var otherSink = new RecordingSink();
        _router.Subscribe(Broadcasts(publicSink, PhoenixVersion.V1, "room1", isPrivate: false));
        _router.Subscribe(Broadcasts(privateSink, PhoenixVersion.V1, "room1", isPrivate: true));
        _router.Subscribe(Broadcasts(otherSink, PhoenixVersion.V1, "room2", isPrivate: false));

        Commit(100,
            Send("public", "room1", isPrivate: false),
            Send("private", "room1", isPrivate: true),
            Send("other-topic", "room2", isPrivate: false),
            Send("presence", "room1", isPrivate: false, extension: "presence"),
            Send("no-payload", "room1", isPrivate: false, payload: null),
            RealtimeMessagesRows.Send(Guid.NewGuid().ToString(), "{}", null, "room1", isPrivate: false),
            Send("room1-prefix", "room10", isPrivate: false));

        Assert.Equal(["public"], Events(publicSink));
        Assert.Equal(["private"], Events(privateSink));
        Assert.Equal(["other-topic"], Events(otherSink));
        // No access group is judged for these subscriptions: nothing asks the database per row.
        Assert.DoesNotContain(DatabaseBroadcastRows.Key, _router.SnapshotInterest().Groups.Keys);
    }

    [Fact]
    public void A_message_over_the_payload_limit_is_not_delivered_live_or_in_catch_up_and_the_channel_is_told_once_per_transaction()
    {
        // 20 bytes of JSON fit; "é" is 2 UTF-8 bytes, so 12 of them (26 bytes with quotes and braces) do not, though 12 chars would.
        var fits = "{\"s\": \"0123456789\"}";
        var tooLarge = "{\"s\": \"" + new string('é', 12) + "\"}";
        Assert.True(Encoding.UTF8.GetByteCount(fits) <= 20 && tooLarge.Length <= 22 && Encoding.UTF8.GetByteCount(tooLarge) > 22);
        var live = new RecordingSink();
        _router.Subscribe(Broadcasts(live, PhoenixVersion.V1, "room1", isPrivate: false, maxPayloadBytes: 22));

        Commit(100, Send("small", "room1", isPrivate: false, payload: fits), Send("big", "room1", isPrivate: false, payload: tooLarge),
            Send("big-again", "room1", isPrivate: false, payload: tooLarge));
        Commit(200, Send("after", "room1", isPrivate: false, payload: fits));

        Assert.Equal(["small", "after"], Events(WithoutNotices(live)));
        var notices = Notices(live);
        Assert.Single(notices);
        Assert.Contains(ErrorCodes.PayloadTooLarge, notices[0]);

        var resumed = new RecordingSink();
        Assert.True(_router.Resume(Broadcasts(resumed, PhoenixVersion.V1, "room1", isPrivate: false, maxPayloadBytes: 22), new ChangeOffset(0, 0), ack: null));
        Assert.Equal(["small", "after"], Events(WithoutNotices(resumed)));
        Assert.Single(Notices(resumed));
    }

    /// <summary>The sink's broadcast frames only (a copy without the system notices).</summary>
    private static RecordingSink WithoutNotices(RecordingSink sink)
    {
        var copy = new RecordingSink();
        foreach (var frame in sink.Frames.Where(f => !Encoding.UTF8.GetString(f).Contains("\"system\"", StringComparison.Ordinal)))
            copy.TryEnqueue(frame);
        return copy;
    }

    private static List<string> Notices(RecordingSink sink) =>
        [.. sink.Frames.Select(f => Encoding.UTF8.GetString(f)).Where(f => f.Contains("\"system\"", StringComparison.Ordinal))];

    [Fact]
    public void A_client_table_subscription_to_realtime_messages_still_needs_a_verdict()
    {
        var client = new RecordingSink();
        _router.Subscribe(new Subscription(client, "table:realtime.messages", DatabaseBroadcastRows.Key, ChangeEvents.All, null, null, null)
        {
            Format = NativeChangeFormat.Default,
        });
        var broadcasts = new RecordingSink();
        _router.Subscribe(Broadcasts(broadcasts, PhoenixVersion.V1, "room1", isPrivate: false));

        Commit(100, Send("public", "room1", isPrivate: false));

        Assert.Equal(["public"], Events(broadcasts));
        // Withheld from the client's own subscription (its group has no verdict: fail closed), and told so.
        var frames = client.NativeFrames();
        Assert.DoesNotContain(frames, f => f.Type == FrameTypes.Broadcast);
        Assert.Contains(client.Frames, f => Encoding.UTF8.GetString(f).Contains(ErrorCodes.AccessCheckFailed, StringComparison.Ordinal));
    }

    [Fact]
    public void Vsn2_frames_are_binary_live_and_in_catch_up_and_a_resume_gets_exactly_what_followed_the_offset()
    {
        var live = new RecordingSink();
        _router.Subscribe(Broadcasts(live, PhoenixVersion.V2, "room1", isPrivate: false));
        Commit(100, Send("a", "room1", isPrivate: false), Send("b", "room1", isPrivate: false));
        Commit(200, Send("c", "room1", isPrivate: false));
        Assert.Equal(["a", "b", "c"], Events(live));
        Assert.All(live.Frames, frame => Assert.True(live.IsBinary(frame)));

        var resumed = new RecordingSink();
        Assert.True(_router.Resume(Broadcasts(resumed, PhoenixVersion.V2, "room1", isPrivate: false), new ChangeOffset(100, 0), ack: null));
        Commit(300, Send("d", "room1", isPrivate: false));
        Assert.Equal(["b", "c", "d"], Events(resumed));
        Assert.All(resumed.Frames, frame => Assert.True(resumed.IsBinary(frame)));
    }
}
