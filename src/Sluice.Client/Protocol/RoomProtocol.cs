namespace Sluice.Client.Protocol;

/// <summary>
/// Constants of room channels (docs/rooms.md) that the SDK needs. Kept here rather than in Sluice.Protocol, where the
/// server's own room constants live.
/// </summary>
internal static class RoomProtocol
{
    /// <summary>The prefix of a room's channel name: <c>room:&lt;name&gt;</c>.</summary>
    public const string ChannelPrefix = "room:";

    /// <summary>Longest room name (without the prefix).</summary>
    public const int MaxNameLength = 200;

    /// <summary>Longest broadcast event name.</summary>
    public const int MaxEventLength = 100;

    /// <summary>Longest presence key.</summary>
    public const int MaxKeyLength = 100;

    /// <summary>Client: track (or with <c>"state": null</c> untrack) this connection's presence in a room.</summary>
    public const string Presence = "presence";

    /// <summary>Server: a broadcast sent with <c>ack: true</c> was accepted; carries its <c>offset</c> and <c>ref</c>.</summary>
    public const string BroadcastAck = "broadcast_ack";

    /// <summary>Server: everyone tracked in the room now; sent after every ack of a room subscription.</summary>
    public const string PresenceState = "presence_state";

    /// <summary>Server: presence entries that joined and left.</summary>
    public const string PresenceDiff = "presence_diff";

    /// <summary>Whether <paramref name="name"/> is a valid room name: 1–200 characters from <c>A–Z a–z 0–9 _ - . : @</c>.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
            return false;
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '@'))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Whether room offset <paramref name="offset"/> (<c>r&lt;epoch&gt;-&lt;sequence&gt;</c>) is at or before
    /// <paramref name="last"/> in the same epoch. Offsets of different epochs (or of an unknown shape) never compare as
    /// "not after": the server decides about those with <c>resync_required</c>.
    /// </summary>
    public static bool IsNotAfter(string offset, string last)
    {
        var a = offset.LastIndexOf('-');
        var b = last.LastIndexOf('-');
        if (a <= 0 || a != b || string.CompareOrdinal(offset, 0, last, 0, a) != 0)
            return false;
        var x = offset.AsSpan(a + 1).TrimStart('0');
        var y = last.AsSpan(b + 1).TrimStart('0');
        if (x.Length != y.Length)
            return x.Length < y.Length;
        return x.SequenceCompareTo(y) <= 0;
    }
}
