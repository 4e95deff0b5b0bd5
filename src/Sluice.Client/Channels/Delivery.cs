namespace Sluice.Client.Channels;

/// <summary>
/// The dispose contract's one rule, in one place: once a channel is closed (its <c>Dispose</c> or <c>DisposeAsync</c>
/// set <see cref="ChannelState.ClosedFlag"/> before returning) no handler call begins. Every handler call and event
/// handler is checked on its own, so neither the next handler of the same item nor the next item is delivered.
/// </summary>
internal static class Delivery
{
    /// <summary>Whether handlers may still be called.</summary>
    public static bool IsOpen(ChannelState state) => !Volatile.Read(ref state.ClosedFlag);

    /// <summary>
    /// Calls each handler of an event in turn, none once the channel is closed; a throwing handler is passed to
    /// <paramref name="failed"/> and the others still run.
    /// </summary>
    public static void Raise<TArgs>(ChannelState state, EventHandler<TArgs>? handlers, object sender, TArgs args, Action<Exception> failed)
    {
        if (handlers is null)
            return;
        foreach (var handler in Delegate.EnumerateInvocationList(handlers))
        {
            if (!IsOpen(state))
                return;
            try
            {
                handler(sender, args);
            }
            catch (Exception ex)
            {
                failed(ex);
            }
        }
    }
}
