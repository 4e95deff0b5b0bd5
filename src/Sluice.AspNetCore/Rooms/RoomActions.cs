namespace Sluice.Server.Rooms;

/// <summary>What a connection does in a room; the actions a private-room rule restricts.</summary>
[Flags]
internal enum RoomActions
{
    None = 0,
    /// <summary>Join the room (<c>subscribe</c>) and receive its messages and presence.</summary>
    Subscribe = 1,
    /// <summary>Publish into the room (<c>broadcast</c>).</summary>
    Publish = 2,
    /// <summary>Track presence in the room (<c>presence</c> with a state).</summary>
    Presence = 4,
    All = Subscribe | Publish | Presence,
}
