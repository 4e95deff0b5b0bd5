namespace Sluice.Server.Routing;

/// <summary>
/// What the router keeps per subscriber (see <see cref="ISubscriberSink.RouterState"/>): its table subscriptions by channel and
/// whether live delivery to it is suspended (paused, or fallen behind).
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

    /// <summary>
    /// Live delivery stopped because the subscriber's queue was too full for live changes (<see cref="LiveDelivery.Behind"/>);
    /// it continues from the retained log once the queue has drained (<see cref="ISubscriberSink.WhenDrained"/>).
    /// </summary>
    internal bool Behind { get; set; }

    /// <summary>No live change is queued to the subscriber: its delivery is paused or it fell behind.</summary>
    internal bool Suspended => DeliveryPaused || Behind;
}
