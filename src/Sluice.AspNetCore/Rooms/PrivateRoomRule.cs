namespace Sluice.Server.Rooms;

/// <summary>
/// One entry of <c>Sluice:Rooms:Private</c>: rooms whose name matches <see cref="Pattern"/> are private for
/// <see cref="Actions"/> (see <see cref="RoomPattern"/> for the pattern syntax).
/// </summary>
public sealed class PrivateRoomRule
{
    /// <summary>A room name pattern such as <c>org-{organization_id}:*</c>.</summary>
    public string? Pattern { get; set; }

    /// <summary>Any of <c>subscribe</c>, <c>publish</c>, <c>presence</c>; empty means all three.</summary>
    public List<string> Actions { get; set; } = [];
}
