using System.Collections.Concurrent;

namespace Sluice.Server.Connections;

/// <summary>All open connections, for stats, heartbeats and shutdown.</summary>
internal sealed class ConnectionRegistry(Observability.SluiceMetrics metrics)
{
    private readonly ConcurrentDictionary<long, ClientConnection> _connections = new();
    private long _slowConsumerDisconnects;

    public int Count => _connections.Count;

    public long SlowConsumerDisconnects => Interlocked.Read(ref _slowConsumerDisconnects);

    public ICollection<ClientConnection> All => _connections.Values;

    public void Add(ClientConnection connection)
    {
        _connections[connection.Id] = connection;
        metrics.ConnectionOpened();
    }

    public void Remove(ClientConnection connection)
    {
        if (_connections.TryRemove(connection.Id, out _) && connection.CloseCode == Sluice.Protocol.CloseCodes.SlowConsumer)
            Interlocked.Increment(ref _slowConsumerDisconnects);
    }
}
