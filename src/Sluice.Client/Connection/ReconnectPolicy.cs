namespace Sluice.Client;

/// <summary>Decides how long to wait before each reconnection attempt. The client never gives up while it is not disposed.</summary>
public abstract class ReconnectPolicy
{
    /// <summary>The default: exponential backoff from 500 ms to 30 s with full jitter.</summary>
    public static ReconnectPolicy Default { get; } = new ExponentialBackoffPolicy();

    /// <summary>The delay before attempt number <paramref name="attempt"/> (0 for the first retry after a loss).</summary>
    /// <param name="attempt">How many attempts failed in a row before this one; 0 right after a connection was lost.</param>
    public abstract TimeSpan NextDelay(int attempt);
}
