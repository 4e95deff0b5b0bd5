namespace Sluice.Server.Routing;

/// <summary>What became of a live change's frame handed to a subscriber (<see cref="ISubscriberSink.TryEnqueueLive"/>).</summary>
internal enum LiveDelivery
{
    /// <summary>Queued for the socket.</summary>
    Queued,

    /// <summary>
    /// Not queued: the subscriber's queue holds as many frames as live changes may fill. It stays open; the router stops
    /// live delivery to it and, once its queue has drained, catches it up from the retained log (see
    /// <see cref="ISubscriberSink.WhenDrained"/>).
    /// </summary>
    Behind,

    /// <summary>Not queued: the subscriber is closing (or was just closed as a slow consumer).</summary>
    Closed,
}
