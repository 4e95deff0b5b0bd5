using System.Text.Json;

namespace Sluice.Client.Tests.Fakes;

/// <summary>Server frames of room channels (docs/rooms.md), as the real server writes them.</summary>
public static class RoomFrames
{
    public const string Lobby = "room:lobby";

    /// <summary>A room offset, <c>r&lt;epoch&gt;-&lt;sequence&gt;</c>.</summary>
    public static string Offset(int n, int epoch = 1) => $"r{epoch}-{n}";

    public static string Ack(string channel, string offset) => Json(new { type = "ack", channel, offset });

    public static string Message(string channel, int n, string @event, object payload) =>
        Json(new { type = "broadcast", channel, offset = Offset(n), @event, payload });

    public static string BroadcastAck(string channel, string reference, string offset) =>
        Json(new { type = "broadcast_ack", channel, offset, @ref = reference });

    public static string BroadcastError(string channel, string reference, string code, string error) =>
        Json(new { type = "error", error, code, channel, @ref = reference });

    public static object Entry(string key, string reference, object state) => new { key, @ref = reference, state };

    public static string PresenceState(string channel, params object[] presences) =>
        Json(new { type = "presence_state", channel, presences });

    public static string PresenceDiff(string channel, object[] joins, object[] leaves) =>
        Json(new { type = "presence_diff", channel, joins, leaves });

    private static string Json(object value) => JsonSerializer.Serialize(value);
}
