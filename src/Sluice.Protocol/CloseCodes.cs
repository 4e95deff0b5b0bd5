namespace Sluice.Protocol;

/// <summary>WebSocket close status codes used by Sluice.</summary>
public static class CloseCodes
{
    /// <summary>1001: the server is shutting down; reconnect and resume.</summary>
    public const int GoingAway = 1001;
    /// <summary>1009: a client frame exceeded the maximum message size.</summary>
    public const int MessageTooBig = 1009;
    /// <summary>1011: an unexpected server error ended the connection.</summary>
    public const int InternalError = 1011;
    /// <summary>
    /// 4008: the client did not read fast enough and its outbound queue filled up (or its oldest frame
    /// waited too long). Everything queued was dropped: reconnect and resubscribe (resuming where possible).
    /// </summary>
    public const int SlowConsumer = 4008;
}
