namespace Sluice.Client;

/// <summary>
/// Codes of errors the client reports itself through <see cref="SluiceClient.Error"/> (or throws as
/// <see cref="SluiceException.Code"/>). Errors from the server carry the server's code instead, one of
/// <see cref="Sluice.Protocol.ErrorCodes"/>.
/// </summary>
public static class ClientErrorCodes
{
    /// <summary>A handler (change handler, <c>Changed</c> or state event) threw. Delivery continues with the next change.</summary>
    public const string HandlerFailed = "handler_failed";
    /// <summary>A row or change could not be deserialized to the requested type.</summary>
    public const string DeserializationFailed = "deserialization_failed";
    /// <summary>A channel's handlers fell behind and its buffer filled; delivery pauses and resumes from the last buffered offset.</summary>
    public const string BufferOverflow = "buffer_overflow";
    /// <summary>An HTTP read of a live table (a fallback poll, or the whole read of a row too large to stream) failed without a
    /// server code; it is retried as the reconnect policy says.</summary>
    public const string FallbackFailed = "fallback_failed";
    /// <summary>
    /// A live table stopped because the reconnect policy gave up retrying one of its failed HTTP reads (reported once, with
    /// the failure as the exception; see <see cref="LiveTable{TKey,TRow}.Failure"/>). The table keeps its rows and receives nothing more.
    /// </summary>
    public const string LiveTableStopped = "live_table_stopped";
    /// <summary>A frame from the server could not be understood and was skipped.</summary>
    public const string InvalidFrame = "invalid_frame";
    /// <summary>The connection was lost before a room broadcast was sent or acknowledged (thrown by
    /// <see cref="RoomChannel.BroadcastAsync{T}"/>): the message may or may not have been published.</summary>
    public const string ConnectionLost = "connection_lost";
    /// <summary>The reconnect policy stopped after a failure that carried no server code (thrown by
    /// <see cref="SluiceClient.StartAsync"/>, and the exception of the <see cref="ConnectionState.Disconnected"/> state change).
    /// A refusal by the server carries the server's code instead, e.g. <c>invalid_token</c>.</summary>
    public const string ConnectionFailed = "connection_failed";
    /// <summary>The server closed the connection (the exception of a state change; its message has the close status).</summary>
    public const string ConnectionClosed = "connection_closed";
    /// <summary>
    /// The <see cref="SluiceClient.Error"/> handlers fell so far behind that errors were not raised (at most
    /// <c>1024</c> wait); this one error, raised once they catch up, says how many. State changes are never dropped.
    /// </summary>
    public const string EventsDropped = "events_dropped";
}
