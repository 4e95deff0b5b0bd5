namespace Sluice.Server.Log;

/// <summary>A growable FIFO with O(1) indexing from the oldest item, for binary search over the log.</summary>
internal sealed class RingBuffer<T>
{
    private T[] _items = new T[64];
    private int _head;

    public int Count { get; private set; }

    public T this[int index] => _items[(_head + index) & (_items.Length - 1)];

    public void Add(T item)
    {
        if (Count == _items.Length)
            Grow();
        _items[(_head + Count) & (_items.Length - 1)] = item;
        Count++;
    }

    public T RemoveFirst()
    {
        if (Count == 0)
            throw new InvalidOperationException("the buffer is empty");
        var item = _items[_head];
        _items[_head] = default!;
        _head = (_head + 1) & (_items.Length - 1);
        Count--;
        return item;
    }

    private void Grow()
    {
        var larger = new T[_items.Length * 2];
        for (var i = 0; i < Count; i++)
            larger[i] = this[i];
        _items = larger;
        _head = 0;
    }
}
