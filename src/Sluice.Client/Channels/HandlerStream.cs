using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Sluice.Client.Channels;

/// <summary>
/// Turns a channel's handlers into an <see cref="IAsyncEnumerable{T}"/>: a handler writes each item into a small bounded
/// buffer (so a slow reader slows the channel's dispatcher, as a slow handler would), the stream ends when the channel
/// closes or the reader stops.
/// </summary>
internal static class HandlerStream
{
    /// <param name="addHandler">Registers the handler that feeds the stream; disposed when the stream ends.</param>
    /// <param name="closeHandlers">The channel's close handlers (the stream completes on close).</param>
    /// <param name="state">The channel's state, to complete at once when it has already closed.</param>
    /// <param name="cancellationToken">Ends the stream.</param>
    public static async IAsyncEnumerable<T> ReadAsync<T>(
        Func<Func<T, Task>, IDisposable> addHandler,
        HandlerList<Action> closeHandlers,
        ChannelState state,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = System.Threading.Channels.Channel.CreateBounded<T>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var handler = addHandler(async item =>
        {
            try
            {
                await buffer.Writer.WriteAsync(item, done.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The reader left.
            }
        });
        using var closed = closeHandlers.Add(() => buffer.Writer.TryComplete());
        if (state.ClosedFlag)
            buffer.Writer.TryComplete();
        try
        {
            while (await buffer.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (buffer.Reader.TryRead(out var item))
                {
                    // Items the channel handed over before it was disposed are not yielded after (the dispose contract).
                    if (!Delivery.IsOpen(state))
                        yield break;
                    yield return item;
                }
            }
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
        }
    }
}
