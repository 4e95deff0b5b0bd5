namespace Sluice.Server.Routing;

/// <summary>A subscriber whose sends a <see cref="DeliveryRound"/> may hold until the round ends.</summary>
internal interface IDeferredSender
{
    /// <summary>Sends what was queued during the round (schedules its drainer); called on the round's thread, outside the router's lock.</summary>
    void SendDeferred();
}

/// <summary>
/// A round of delivery on the change dispatcher's thread (one batch): frames queued while it is open do not wake the
/// connection's drainer one by one; when the round ends, each connection that received any is drained once, so all of
/// the round's frames for it go out in one write and flush. The first <see cref="ImmediateWakeUps"/> connections of a
/// round that were idle (nothing queued, no drainer) are woken at once instead: a round that reaches few connections
/// gains nothing by waiting, and its subscribers' latency does.
/// </summary>
/// <remarks>
/// Measured (docs/benchmarks.md, issue 20 fifth pass): holding every wake-up to the round's end put one subscriber's p99 at
/// 5,000 changes/s at 0.2–1.1 s; waking every idle connection at once halved the deliveries per second to 10,000
/// subscribers. Measured (fourth pass): waking a drainer per frame made 10,000 subscribers cost one
/// thread-pool wake-up per frame and connection; one per round more than doubled the deliveries per second. Sending on
/// the dispatcher's own thread at the round's end instead (no wake-up at all) was measured too and was worse: the sends
/// became serial on one of the two cores, and the tails at half saturation grew tenfold.
/// Thread-static: <see cref="Begin"/> and <see cref="End"/> must be called on one thread with no await between them (the
/// dispatcher wraps each synchronous <c>SubscriptionRouter.Dispatch</c>), so that nothing else that runs on the thread
/// can have its sends held. <see cref="End"/> must run (finally), or held frames wait for the connection's next one.
/// </remarks>
internal static class DeliveryRound
{
    /// <summary>How many idle connections a round wakes at once before it holds the rest to its end.</summary>
    public const int ImmediateWakeUps = 64;

    [ThreadStatic] private static List<IDeferredSender>? t_held;
    [ThreadStatic] private static bool t_open;
    [ThreadStatic] private static int t_woken;

    public static void Begin()
    {
        t_open = true;
        t_woken = 0;
    }

    /// <summary>
    /// Holds <paramref name="sender"/>'s send until the round on this thread ends; false when it should send now: no round
    /// is open here, or the sender was <paramref name="idle"/> and the round has woken fewer than
    /// <see cref="ImmediateWakeUps"/> connections. <paramref name="held"/> is the sender's flag (1 while a round holds
    /// it): a sender is listed once per round.
    /// </summary>
    public static bool TryDefer(IDeferredSender sender, ref int held, bool idle = false)
    {
        if (!t_open)
            return false;
        if (idle && t_woken < ImmediateWakeUps)
        {
            t_woken++;
            return false;
        }
        if (Interlocked.Exchange(ref held, 1) == 0)
            (t_held ??= []).Add(sender);
        return true;
    }

    public static void End()
    {
        t_open = false;
        var held = t_held;
        if (held is null)
            return;
        for (var i = 0; i < held.Count; i++)
            held[i].SendDeferred();
        held.Clear();
    }
}
