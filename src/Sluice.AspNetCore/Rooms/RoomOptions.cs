namespace Sluice.Server.Rooms;

/// <summary>Room settings (broadcast, presence, history, private rooms), bound from <c>Sluice:Rooms</c> (see docs/rooms.md).</summary>
public sealed class RoomOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "Sluice:Rooms";

    /// <summary>Most messages a room keeps for resuming with <c>since</c>.</summary>
    public int HistoryMessages { get; set; } = 100;

    /// <summary>Messages older than this leave a room's history.</summary>
    public TimeSpan HistoryAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest <c>payload</c> of a room broadcast, in UTF-8 bytes of its JSON.</summary>
    public int MaxPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>Largest presence <c>state</c>, in UTF-8 bytes of its JSON.</summary>
    public int MaxPresenceStateBytes { get; set; } = 4 * 1024;

    /// <summary>Largest body of <c>POST /api/broadcast</c>, in bytes.</summary>
    public int MaxHttpBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Tokens with this role bypass the private-room rules and may use <c>POST /api/broadcast</c>.</summary>
    public string ServiceRole { get; set; } = "service_role";

    /// <summary>Private-room rules.</summary>
    public List<PrivateRoomRule> Private { get; set; } = [];
}
