namespace Sluice.Client.Channels;

/// <summary>Receives a channel's items on its dispatcher task, one at a time and in order. Must not throw.</summary>
internal interface IChannelConsumer
{
    ValueTask ConsumeAsync(ChannelItem item);

    /// <summary>The channel was closed (unsubscribed or the client disposed).</summary>
    void OnClosed();
}
