namespace Sluice.Client.Tests.Fakes;

/// <summary>Collects what a client reports, thread-safely.</summary>
public sealed class Recorder<T>
{
    private readonly List<T> _items = [];

    public void Add(T item)
    {
        lock (_items)
            _items.Add(item);
    }

    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_items)
                return [.. _items];
        }
    }

    public async Task WaitForAsync(Func<IReadOnlyList<T>, bool> condition, string what)
    {
        try
        {
            await TestClients.EventuallyAsync(() => condition(Items), what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; recorded: [{string.Join(", ", Items)}]", ex);
        }
    }

    public Task WaitForCountAsync(int count, string what) => WaitForAsync(items => items.Count >= count, what);
}
