namespace Sluice.Protocol;

/// <summary>Values of the <c>type</c> field of native protocol frames.</summary>
public static class FrameTypes
{
    /// <summary>Client: subscribe to a channel.</summary>
    public const string Subscribe = "subscribe";
    /// <summary>Client: stop receiving a channel.</summary>
    public const string Unsubscribe = "unsubscribe";
    /// <summary>Server: the subscription is live. Client or server: keep-alive.</summary>
    public const string Ack = "ack";
    /// <summary>Server: a subscription ended at the client's request.</summary>
    public const string Unsubscribed = "unsubscribed";
    /// <summary>Server: a database change (payload type INSERT, UPDATE or DELETE), or a room message. Client: publish into a room.</summary>
    public const string Broadcast = "broadcast";
    /// <summary>
    /// Server: every 30 s, without <c>ref</c>. Client: a keep-alive; one with a <c>ref</c> is answered with
    /// <c>{"type":"heartbeat","ref":…}</c> (the same ref), one without is never answered, so a client that echoes the
    /// server's heartbeats cannot start a loop.
    /// </summary>
    public const string Heartbeat = "heartbeat";
    /// <summary>
    /// Server: several changes of one table subscription replayed from the retention window (a resume with <c>since</c>, or
    /// the catch-up after a snapshot), in <c>changes</c>: each element is the <see cref="Broadcast"/> frame the change
    /// would have come in alone. Sent only to a subscribe that asked for it with <c>batch_catch_up: true</c>.
    /// </summary>
    public const string Changes = "changes";
    /// <summary>Server: current rows of a channel, sent after the ack of a <c>snapshot: true</c> subscription.</summary>
    public const string Snapshot = "snapshot";
    /// <summary>Server: the requested <c>since</c> is outside retention or from another log epoch; subscribe again with a snapshot.</summary>
    public const string ResyncRequired = "resync_required";
    /// <summary>Client: replace the connection's token (<c>token</c>); also resumes delivery after <c>token_expired</c>.</summary>
    public const string Auth = "auth";
    /// <summary>Server: an <c>auth</c> frame was accepted; carries the connection's <c>role</c> and <c>expires_at</c>.</summary>
    public const string AuthOk = "auth_ok";
    /// <summary>Server: something went wrong; see <c>code</c> and <c>error</c>.</summary>
    public const string Error = "error";
    /// <summary>Client: track, update (<c>state</c> object) or untrack (<c>state: null</c>) this connection's presence in a room.</summary>
    public const string Presence = "presence";
    /// <summary>Server: a room publish with <c>ack: true</c> was accepted; carries its <c>offset</c> and the client's <c>ref</c>.</summary>
    public const string BroadcastAck = "broadcast_ack";
    /// <summary>Server: everyone tracked in a room (<c>presences</c>), sent after every ack of a room subscription.</summary>
    public const string PresenceState = "presence_state";
    /// <summary>Server: presence entries that joined (<c>joins</c>) and left (<c>leaves</c>) a room.</summary>
    public const string PresenceDiff = "presence_diff";
    /// <summary>
    /// Server: a database broadcast (a committed row of <c>realtime.messages</c>) on a room channel, with its
    /// <c>database_offset</c>, <c>event</c>, <c>payload</c> and row <c>id</c>; resume with <c>database_since</c>.
    /// </summary>
    public const string DatabaseBroadcast = "database_broadcast";
    /// <summary>
    /// Server: a room's database broadcasts cannot continue from the client's <c>database_since</c> (or ended); the room
    /// itself goes on. Subscribe to the room again without <c>database_since</c> to receive them from now.
    /// </summary>
    public const string DatabaseResyncRequired = "database_resync_required";
}
