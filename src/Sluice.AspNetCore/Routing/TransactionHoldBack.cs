namespace Sluice.Server.Routing;

/// <summary>
/// Holds back each subscription's newest matching change of the current transaction (<see cref="Subscription.Pending"/>)
/// until it is known whether that change is the subscription's last of the transaction, so the last one goes out with
/// <c>tx_end</c>. A held change goes out without it when the next match arrives, or with it when the transaction ends.
/// Every queued change advances <see cref="Subscription.LastDelivered"/>.
/// </summary>
/// <remarks>
/// Owned by <see cref="SubscriptionRouter"/> and only called under its lock; it has no lock of its own. It keeps the list
/// of subscriptions holding a change of the transaction in progress (those whose <see cref="Subscription.PendingTracked"/>
/// is set) and is the only writer of <see cref="Subscription.Pending"/> and <see cref="Subscription.PendingTracked"/>.
/// Live changes are queued as bytes serialized now and shared by every receiver; replayed ones (catch-up, private to one
/// connection) are queued for the connection's writer to serialize, outside the lock.
/// </remarks>
internal sealed class TransactionHoldBack
{
    private readonly List<Subscription> _held = [];

    /// <summary>
    /// A live change matched: the change held so far goes out without <c>tx_end</c>, and this one is held. False, and nothing
    /// changed, when the connection fell behind on sending the held one (it stays held: see <see cref="LiveDelivery.Behind"/>).
    /// </summary>
    public bool HoldLive(Subscription subscription, FrameSource change)
    {
        if (subscription.Pending is { } previous)
        {
            if (SendLive(subscription, previous, transactionEnd: false) == LiveDelivery.Behind)
                return false;
            subscription.LastDelivered = previous.Entry.Offset;
        }
        subscription.Pending = change;
        Track(subscription);
        return true;
    }

    /// <summary>A replayed change matched: the change held so far goes out without <c>tx_end</c>, and this one is held.</summary>
    public void HoldReplayed(Subscription subscription, FrameSource change)
    {
        if (subscription.Pending is { } previous)
        {
            subscription.Connection.TryEnqueue(previous, transactionEnd: false);
            subscription.LastDelivered = previous.Entry.Offset;
        }
        subscription.Pending = change;
    }

    /// <summary>A replayed transaction ended: the change held of it goes out with <c>tx_end</c>.</summary>
    public void EndReplayed(Subscription subscription)
    {
        if (subscription.Pending is not { } pending)
            return;
        subscription.Connection.TryEnqueue(pending, transactionEnd: true);
        subscription.LastDelivered = pending.Entry.Offset;
        subscription.Pending = null;
    }

    /// <summary>
    /// Keeps the subscription's held change (if any) for the end of the transaction in progress: a catch-up reached the end
    /// of the log halfway through a transaction, whose commit is dispatched live.
    /// </summary>
    public void Continue(Subscription subscription)
    {
        if (subscription.Pending is not null)
            Track(subscription);
    }

    /// <summary>
    /// The transaction in progress committed: every held change was its subscription's last, and goes out with <c>tx_end</c>.
    /// A connection that falls behind on one (<see cref="LiveDelivery.Behind"/>) is handed to <paramref name="fellBehind"/>
    /// while that change is still held; held changes of a connection that has fallen behind are not sent.
    /// </summary>
    public void Committed(Action<ISubscriberSink> fellBehind)
    {
        foreach (var subscription in _held)
        {
            if (subscription.Pending is { } pending && !subscription.Connection.RouterState.Behind)
            {
                if (SendLive(subscription, pending, transactionEnd: true) == LiveDelivery.Behind)
                    fellBehind(subscription.Connection);
                else
                    subscription.LastDelivered = pending.Entry.Offset;
            }
            subscription.Pending = null;
            subscription.PendingTracked = false;
        }
        _held.Clear();
    }

    /// <summary>Drops the subscription's held change without sending it (the subscription ended, or its delivery paused).</summary>
    public void Drop(Subscription subscription)
    {
        subscription.Pending = null;
        if (!subscription.PendingTracked)
            return;
        subscription.PendingTracked = false;
        _held.Remove(subscription);
    }

    /// <summary>Queues a live change's shared bytes, as a text or a binary message as its format writes it.</summary>
    private static LiveDelivery SendLive(Subscription subscription, FrameSource change, bool transactionEnd) =>
        subscription.Connection.TryEnqueueLive(change.Frame(transactionEnd), change.Binary);

    private void Track(Subscription subscription)
    {
        if (subscription.PendingTracked)
            return;
        subscription.PendingTracked = true;
        _held.Add(subscription);
    }
}
