namespace Sluice.Server.Rooms;

/// <summary>The result of a room operation of <see cref="RoomRegistry"/>.</summary>
internal enum RoomOutcome
{
    /// <summary>Done; the frames that confirm it are queued.</summary>
    Ok,
    /// <summary>The connection is not subscribed to the room.</summary>
    NotSubscribed,
    /// <summary>The <c>since</c> text is not shaped like a room offset.</summary>
    InvalidOffset,
    /// <summary>The <c>since</c> offset is from another epoch (an earlier run of the server).</summary>
    OtherEpoch,
    /// <summary>Messages after the <c>since</c> offset have left the room's history.</summary>
    HistoryGone,
    /// <summary>The <c>since</c> offset was never issued by this server.</summary>
    UnknownOffset,
}
