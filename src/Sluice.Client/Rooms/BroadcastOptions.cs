namespace Sluice.Client;

/// <summary>How <see cref="RoomChannel.BroadcastAsync{T}"/> publishes a message.</summary>
public sealed record BroadcastOptions
{
    /// <summary>Also deliver the message to this client's own handlers. Default false.</summary>
    public bool Self { get; init; }

    /// <summary>
    /// Wait for the server's <c>broadcast_ack</c>: <see cref="RoomChannel.BroadcastAsync{T}"/> then returns the
    /// message's offset, and a refusal throws <see cref="SluiceException"/> with the server's code. Default false
    /// (the call completes once the frame is sent; refusals go to <see cref="SluiceClient.Error"/>).
    /// </summary>
    public bool Ack { get; init; }
}
