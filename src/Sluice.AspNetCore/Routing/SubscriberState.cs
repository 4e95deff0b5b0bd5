namespace Sluice.Server.Routing;

/// <summary>
/// What the router keeps per subscriber (see <see cref="ISubscriberSink.RouterState"/>): its table subscriptions by channel and
/// whether delivery to it is paused.
/// </summary>
/// <remarks>
/// Owned by <see cref="SubscriptionRouter"/>: written only under its lock (the subscriptions by its
/// <see cref="SubscriptionIndex"/>, the pause by pause/resume); it has no lock of its own.
/// </remarks>
internal sealed class SubscriberState
{
    /// <summary>The subscriber's table subscriptions by channel: at most one per channel.</summary>
    internal Dictionary<string, Subscription> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>Delivery is paused because the subscriber's token expired.</summary>
    internal bool DeliveryPaused { get; set; }
}
