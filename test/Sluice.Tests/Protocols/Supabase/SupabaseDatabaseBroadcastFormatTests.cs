using System.Text;
using Sluice.Server.Log;
using Sluice.Server.Protocols.Supabase;
using Sluice.Server.Routing;
using Sluice.Tests.Routing;

namespace Sluice.Tests.Protocols.Supabase;

/// <summary>
/// Database broadcasts (rows of <c>realtime.messages</c>) as Supabase sends them: a vsn 1.0.0 <c>broadcast</c> text frame
/// with <c>meta.id</c>, a vsn 2.0.0 binary kind-4 user broadcast; plus Sluice's <c>meta.offset</c>.
/// </summary>
public sealed class SupabaseDatabaseBroadcastFormatTests
{
    private const string Id = "0b9f4a52-5c43-4a8e-9d0c-2a61a3a3c8e1";
    private const string Payload = "{\"x\": 1, \"id\": \"" + Id + "\"}";
    private const string Offset = "00000001-0000000000000064-00000000";

    private static LogEntry Entry(string eventName = "ev", string payload = Payload)
    {
        var log = new ChangeLog(new LogEpoch("00000001"), new RetentionLimits(100, long.MaxValue, TimeSpan.FromHours(1)));
        log.Start(0);
        return log.Append(new ChangeOffset(100, 0), RealtimeMessagesRows.Send(Id, payload, eventName, "room1", isPrivate: false),
            new DateTime(2026, 12, 3, 7, 0, 0, DateTimeKind.Utc), xid: 7, transactionEnd: true);
    }

    [Fact]
    public void Vsn1_is_a_broadcast_text_frame_with_the_stored_payload_and_meta()
    {
        var format = new SupabaseDatabaseBroadcastFormat(PhoenixVersion.V1, "realtime:room1", privateMessages: false);
        var entry = Entry();

        Assert.False(format.IsBinary(entry));
        Assert.Equal(
            "{\"topic\":\"realtime:room1\",\"event\":\"broadcast\",\"payload\":{\"type\":\"broadcast\",\"event\":\"ev\",\"payload\":" + Payload
            + ",\"meta\":{\"id\":\"" + Id + "\",\"offset\":\"" + Offset + "\"}},\"ref\":null}",
            Encoding.UTF8.GetString(format.Change("c", entry, transactionEnd: true, ChangeShape.AsCaptured)));
        // Supabase's broadcasts carry no transaction end: the same frame either way.
        Assert.Equal(format.Change("c", entry, transactionEnd: true, ChangeShape.AsCaptured), format.Change("c", entry, transactionEnd: false, ChangeShape.AsCaptured));
    }

    [Fact]
    public void Vsn2_is_a_binary_kind_4_user_broadcast_with_json_meta_and_payload()
    {
        var format = new SupabaseDatabaseBroadcastFormat(PhoenixVersion.V2, "realtime:room1", privateMessages: false);
        var entry = Entry();
        var topic = "realtime:room1"u8.ToArray();
        var eventName = "ev"u8.ToArray();
        var meta = Encoding.UTF8.GetBytes("{\"id\":\"" + Id + "\",\"offset\":\"" + Offset + "\"}");
        byte[] expected = [4, (byte)topic.Length, (byte)eventName.Length, (byte)meta.Length, 1, .. topic, .. eventName, .. meta, .. Encoding.UTF8.GetBytes(Payload)];

        Assert.True(format.IsBinary(entry));
        Assert.Equal(expected, format.Change("c", entry, transactionEnd: false, ChangeShape.AsCaptured));
    }

    [Fact]
    public void A_replayed_message_is_a_json_push_with_replayed_meta_and_the_join_ref_on_vsn2()
    {
        var stored = new Sluice.Server.Snapshots.StoredBroadcast(Id, "ev", Payload);
        var body = "{\"type\":\"broadcast\",\"event\":\"ev\",\"payload\":" + Payload + ",\"meta\":{\"replayed\":true,\"id\":\"" + Id + "\"}}";

        Assert.Equal("{\"topic\":\"realtime:room1\",\"event\":\"broadcast\",\"payload\":" + body + ",\"ref\":null}",
            Encoding.UTF8.GetString(SupabaseDatabaseBroadcastFormat.Replayed(PhoenixVersion.V1, "3", "realtime:room1", stored)));
        Assert.Equal("[\"3\",null,\"realtime:room1\",\"broadcast\"," + body + "]",
            Encoding.UTF8.GetString(SupabaseDatabaseBroadcastFormat.Replayed(PhoenixVersion.V2, "3", "realtime:room1", stored)));
    }

    [Fact]
    public void Vsn2_falls_back_to_the_json_array_form_when_the_event_does_not_fit_kind_4()
    {
        var format = new SupabaseDatabaseBroadcastFormat(PhoenixVersion.V2, "realtime:room1", privateMessages: false);
        var longEvent = new string('e', 256);
        var entry = Entry(longEvent);

        Assert.False(format.IsBinary(entry));
        Assert.Equal(
            "[null,null,\"realtime:room1\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"" + longEvent + "\",\"payload\":" + Payload
            + ",\"meta\":{\"id\":\"" + Id + "\",\"offset\":\"" + Offset + "\"}}]",
            Encoding.UTF8.GetString(format.Change("c", entry, transactionEnd: true, ChangeShape.AsCaptured)));
    }

    [Fact]
    public void Router_channels_are_distinct_per_vsn_topic_and_privacy_and_never_a_bindings()
    {
        string[] channels =
        [
            SupabaseDatabaseBroadcastFormat.RouterChannelOf(PhoenixVersion.V1, "realtime:a", false),
            SupabaseDatabaseBroadcastFormat.RouterChannelOf(PhoenixVersion.V1, "realtime:a", true),
            SupabaseDatabaseBroadcastFormat.RouterChannelOf(PhoenixVersion.V2, "realtime:a", false),
            SupabaseDatabaseBroadcastFormat.RouterChannelOf(PhoenixVersion.V1, "realtime:b", false),
            SupabaseChangeFormat.RouterChannelOf(PhoenixVersion.V1, "realtime:a", 1),
        ];
        Assert.Equal(channels.Length, channels.Distinct(StringComparer.Ordinal).Count());
    }
}
