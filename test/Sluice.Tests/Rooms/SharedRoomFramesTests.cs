using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Server.Connections;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Protocols.Supabase;
using Sluice.Server.Rooms;

namespace Sluice.Tests.Rooms;

/// <summary>
/// The performance invariant of room fan-out: a shared event (message, presence diff) is serialized once per protocol, and
/// every receiver of that protocol gets the same bytes, however many receivers there are.
/// </summary>
public sealed class SharedRoomFramesTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("""{"n":1}""");

    private static ClientConnection Connection() =>
        new(WebSocket.CreateFromStream(new MemoryStream(), isServer: true, null, Timeout.InfiniteTimeSpan), 16, 1 << 20, NullLogger.Instance);

    private static RoomMember Member(string protocol, int joinRef) => protocol switch
    {
        "native" => new NativeRoomMember(Connection(), "lobby"),
        "v1" => new SupabaseRoomMember(Connection(), "lobby", "realtime:lobby", PhoenixVersion.V1, joinRef.ToString(System.Globalization.CultureInfo.InvariantCulture), presenceState: true),
        _ => new SupabaseRoomMember(Connection(), "lobby", "realtime:lobby", PhoenixVersion.V2, joinRef.ToString(System.Globalization.CultureInfo.InvariantCulture), presenceState: true),
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_message_is_serialized_once_per_protocol_and_shared_by_its_receivers(bool binary)
    {
        var message = new RoomMessage("lobby", "00000001-0000000000000001", "e", Payload, binary);
        var frames = new Dictionary<string, byte[]>();
        foreach (var protocol in new[] { "native", "v1", "v2" })
        {
            var first = Member(protocol, 1).Message(message);
            for (var i = 2; i <= 5; i++)
                Assert.Same(first.Serialize(), Member(protocol, i).Message(message).Serialize());
            frames[protocol] = first.Serialize();
        }
        Assert.NotSame(frames["native"], frames["v1"]);
        Assert.NotSame(frames["v1"], frames["v2"]);
        Assert.Equal(binary, Member("v2", 9).Message(message).Binary);
        Assert.False(Member("v1", 9).Message(message).Binary);
    }

    [Fact]
    public void A_presence_diff_is_serialized_once_per_protocol_and_shared_by_its_receivers()
    {
        var diff = new PresenceDiff("lobby", new PresenceEntry("k", "1", Encoding.UTF8.GetBytes("""{"s":1}""")), null);
        foreach (var protocol in new[] { "native", "v1", "v2" })
        {
            var first = Member(protocol, 1).PresenceDiff(diff).Serialize();
            Assert.Same(first, Member(protocol, 2).PresenceDiff(diff).Serialize());
        }
        Assert.NotSame(Member("native", 1).PresenceDiff(diff).Serialize(), Member("v2", 1).PresenceDiff(diff).Serialize());
    }
}
