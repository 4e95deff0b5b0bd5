using Sluice.Protocol;
using Sluice.Server.Log;
using Sluice.Server.Routing;

namespace Sluice.Server.Protocols.Native;

/// <summary>
/// Writes a native room's database broadcasts (rows of <c>realtime.messages</c> of its topic and privacy, see
/// <see cref="DatabaseBroadcasts"/>) as <c>database_broadcast</c> frames on the room's channel <c>room:&lt;name&gt;</c>.
/// Database broadcasts carry no transaction end on this protocol, so the frame is the same with and without it.
/// </summary>
/// <remarks>
/// One router channel per (room, privacy), <c>native:db-broadcast:{public|private}:&lt;name&gt;</c>: every native
/// subscriber of the room shares the bytes of each message. No native table channel (<c>table:…</c>), Supabase channel
/// (<c>supabase…</c>) or room channel (rooms are not router channels) has that prefix, and the session never lets a client
/// unsubscribe a router channel that is not a table channel. <see cref="Change"/> is pure: it runs under the router's lock.
/// </remarks>
internal sealed class NativeDatabaseBroadcastFormat(string room, bool privateMessages, Observability.SluiceMetrics? metrics = null)
    : ChangeFrameFormat(metrics)
{
    private const string RouterChannelPrefix = "native:db-broadcast:";

    /// <summary>The room's name (without <c>room:</c>), which is the <c>realtime.messages</c> topic it receives.</summary>
    public string Room { get; } = room;

    /// <summary>The client's channel, <c>room:&lt;name&gt;</c>, named in every frame.</summary>
    public string Channel { get; } = RoomChannels.ForName(room);

    /// <summary>Whether the room receives the topic's private rows (else its public ones).</summary>
    public bool Private { get; } = privateMessages;

    /// <summary>The router channel: unique per (room, privacy).</summary>
    public string RouterChannel => RouterChannelOf(Room, Private);

    public static string RouterChannelOf(string room, bool privateMessages) =>
        string.Concat(RouterChannelPrefix, privateMessages ? "private:" : "public:", room);

    public override byte[] Change(string channel, LogEntry entry, bool transactionEnd, ChangeShape shape) =>
        DatabaseBroadcastFrames.Broadcast(Channel, DatabaseBroadcastMessage.Of(entry));

    /// <summary>Nothing: the room's <c>ack</c> carries where its database broadcasts start (<c>database_offset</c>).</summary>
    public override byte[]? Subscribed(string channel, string offset) => null;

    /// <summary>The database broadcasts ended (history gone while paused, slot recreated); the room goes on.</summary>
    public override void ResyncRequired(ISubscriberSink connection, string channel, string reason) =>
        connection.TryEnqueue(DatabaseBroadcastFrames.ResyncRequired(Channel, reason, code: null, Metrics));

    /// <summary>
    /// An error that ended the database broadcasts (<c>realtime.messages</c> renamed or removed from realtime) ends only them,
    /// told as <c>database_resync_required</c> with the code: an <c>error</c> frame would read as the room's end to clients. Other
    /// errors are <c>error</c> frames on the room's channel.
    /// </summary>
    public override void Error(ISubscriberSink connection, string channel, string code, string message, bool ended) =>
        connection.TryEnqueue(ended
            ? DatabaseBroadcastFrames.ResyncRequired(Channel, "database broadcasts ended: " + message, code, Metrics)
            : NativeFrames.Error(code, message, Channel));
}
