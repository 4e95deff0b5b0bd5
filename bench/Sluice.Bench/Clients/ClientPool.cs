namespace Sluice.Bench.Clients;

/// <summary>Opens many connections with bounded concurrency, so thousands connect without a SYN storm.</summary>
public static class ClientPool
{
    public static async Task<List<T>> OpenAsync<T>(int count, Func<int, Task<T>> open, int parallel = 32)
    {
        var clients = new T[count];
        var next = -1;
        async Task Worker()
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                clients[i] = await open(i);
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(parallel, Math.Max(count, 1))).Select(_ => Worker()));
        return [.. clients];
    }

    public static async Task CloseAsync<T>(IEnumerable<T> clients)
        where T : IAsyncDisposable
    {
        foreach (var chunk in clients.Chunk(256))
            await Task.WhenAll(chunk.Select(c => c.DisposeAsync().AsTask()));
    }
}
