using Sluice.Server.Auth;

namespace Sluice.Server.Routing;

/// <summary>
/// A subscriber (one client connection) as the router sees it: who it is, the router's bookkeeping for it, and where its
/// frames go. The router hands it every frame of its table subscriptions, in the order the client must receive them;
/// <see cref="Connections.ClientConnection"/> queues them for its socket, router tests record them.
/// </summary>
internal interface ISubscriberSink
{
    /// <summary>Who the subscriber is: the claims its access group is made of (see <see cref="RowSecurity.AccessGroup"/>).</summary>
    ConnectionIdentity Identity { get; }

    /// <summary>The router's bookkeeping for this subscriber; only <see cref="SubscriptionRouter"/> changes it, under its lock.</summary>
    SubscriberState RouterState { get; }

    /// <summary>Queues a frame; false when it was not queued (the subscriber is closing, or could not keep up and is being closed).</summary>
    bool TryEnqueue(byte[] frame);

    /// <summary>Queues a change to be serialized when it is sent (a replayed change, private to this subscriber); false as above.</summary>
    bool TryEnqueue(FrameSource source, bool transactionEnd);

    /// <summary>
    /// Queues a live change's frame (bytes shared by every receiver; a binary WebSocket message when <paramref name="binary"/>).
    /// <see cref="LiveDelivery.Behind"/> when the subscriber's queue is too full for live changes: a burst larger than the
    /// queue is not a client that does not read, so the subscriber is not closed for it; the router catches it up later.
    /// </summary>
    LiveDelivery TryEnqueueLive(byte[] frame, bool binary);

    /// <summary>
    /// Calls <paramref name="catchUp"/> once, on a thread of the subscriber's own, when every frame queued so far has been sent
    /// (not at all once the subscriber is closing). The router registers it when the subscriber falls behind.
    /// </summary>
    void WhenDrained(Action<ISubscriberSink> catchUp);
}
