namespace Sluice.Client;

/// <summary>Where a <see cref="LiveTable{TKey,TRow}"/>'s data comes from right now.</summary>
public enum LiveTableMode
{
    /// <summary>Waiting for a (new) snapshot: at start, and after the server asked for a resync.</summary>
    Syncing,
    /// <summary>A snapshot was applied and changes stream over the WebSocket, transaction by transaction.</summary>
    Streaming,
    /// <summary>No WebSocket could be made for a while: the rows are refreshed by periodic HTTP requests.</summary>
    Fallback,
    /// <summary>The reconnect policy gave up retrying a failed HTTP read, and the table stopped (see <see cref="LiveTable{TKey,TRow}.Failure"/>): its rows stay as they were.</summary>
    Stopped,
}
