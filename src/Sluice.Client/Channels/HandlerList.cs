using System.Collections.Immutable;

namespace Sluice.Client.Channels;

/// <summary>A copy-on-write list of handlers: the dispatcher reads a stable array, registration and removal never block it.</summary>
internal sealed class HandlerList<T> where T : class
{
    private T[] _items = [];

    public T[] Items => Volatile.Read(ref _items);

    public IDisposable Add(T item)
    {
        ImmutableInterlocked.Update(ref _items, static (current, added) => [.. current, added], item);
        return new Removal(this, item);
    }

    private void Remove(T item) =>
        ImmutableInterlocked.Update(ref _items, static (current, removed) =>
        {
            var index = Array.IndexOf(current, removed);
            return index < 0 ? current : [.. current.AsSpan(0, index), .. current.AsSpan(index + 1)];
        }, item);

    private sealed class Removal(HandlerList<T> list, T item) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                list.Remove(item);
        }
    }
}
