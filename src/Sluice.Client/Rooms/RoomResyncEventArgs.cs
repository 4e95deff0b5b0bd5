namespace Sluice.Client;

/// <summary>
/// A room could not be resumed (<c>resync_required</c>: its history no longer reaches back to where this client left
/// off, or the server restarted): it was subscribed again from the present. Messages published between
/// <see cref="LostAfter"/> and the new subscription are lost for this client.
/// </summary>
/// <param name="reason">The server's explanation.</param>
/// <param name="lostAfter">The offset the resume was asked from: messages after it and before the new subscription are missing.</param>
public sealed class RoomResyncEventArgs(string reason, string? lostAfter) : EventArgs
{
    /// <summary>The server's explanation.</summary>
    public string Reason { get; } = reason;

    /// <summary>The offset the resume was asked from (the last message received); messages after it and before the new subscription were not delivered.</summary>
    public string? LostAfter { get; } = lostAfter;
}
