using System.Threading.Channels;
using Sluice.Client;

namespace Sluice.Samples.WebRelay;

/// <summary>
/// Keeps a live replica of <c>public.products</c> (served by <c>GET /api/products</c>) and relays each committed
/// change to every browser listening on <c>GET /api/changes</c>. Each listener has a small bounded queue: a listener
/// that falls behind loses its oldest items instead of slowing the others or the replica.
/// </summary>
public sealed class ProductFeed : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Channel<ProductChange>> _listeners = [];
    private readonly SluiceClient _client;
    private readonly LiveTable<long, Product> _products;

    /// <summary>Creates the live table; the client itself is started and stopped with the host (<c>WithHostedStart</c>).</summary>
    public ProductFeed(SluiceClient client)
    {
        _client = client;
        _products = client.LiveTable<long, Product>("public", "products", product => product.Id);
        _products.Changed += (_, e) =>
        {
            foreach (var change in e.Changes)
            {
                var row = change.Record ?? change.OldRecord;
                Publish(new ProductChange(change.Kind.ToString(), row?.Id ?? 0, row?.Name, row?.Price));
            }
        };
    }

    public IReadOnlyDictionary<long, Product> Products => _products.Rows;

    public ConnectionState State => _client.State;

    public ValueTask DisposeAsync() => _products.DisposeAsync();

    /// <summary>The changes from now on, until the listener goes away.</summary>
    public async IAsyncEnumerable<ProductChange> ListenAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<ProductChange>(new BoundedChannelOptions(100) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
            _listeners.Add(queue);
        try
        {
            await foreach (var change in queue.Reader.ReadAllAsync(cancellationToken))
                yield return change;
        }
        finally
        {
            lock (_gate)
                _listeners.Remove(queue);
        }
    }

    private void Publish(ProductChange change)
    {
        lock (_gate)
        {
            foreach (var listener in _listeners)
                listener.Writer.TryWrite(change);
        }
    }
}
