namespace Sluice.Client;

/// <summary>The state of a <see cref="SluiceClient"/>'s connection to the server.</summary>
public enum ConnectionState
{
    /// <summary>Not started, or stopped with <see cref="SluiceClient.StopAsync"/>. Nothing is attempted.</summary>
    Disconnected,
    /// <summary>The first connection is being established.</summary>
    Connecting,
    /// <summary>The WebSocket is open and channels are (re)subscribed.</summary>
    Connected,
    /// <summary>The connection was lost (or could not be made); the client retries with backoff until it succeeds.</summary>
    Reconnecting,
    /// <summary>The client was disposed. Terminal.</summary>
    Closed,
}
