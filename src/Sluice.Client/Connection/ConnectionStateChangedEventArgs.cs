namespace Sluice.Client;

/// <summary>Raised by <see cref="SluiceClient.StateChanged"/> when the connection moves from one state to another.</summary>
/// <param name="previous">The state before the change.</param>
/// <param name="current">The state after the change.</param>
/// <param name="exception">Why the connection was lost or could not be made, when known.</param>
public sealed class ConnectionStateChangedEventArgs(ConnectionState previous, ConnectionState current, Exception? exception) : EventArgs
{
    /// <summary>The state before the change.</summary>
    public ConnectionState Previous { get; } = previous;

    /// <summary>The state after the change.</summary>
    public ConnectionState Current { get; } = current;

    /// <summary>Why the connection was lost or could not be made, when known.</summary>
    public Exception? Exception { get; } = exception;
}
