using System.Diagnostics;

namespace Sluice.Bench.Clients;

/// <summary>Counts deliveries across all clients and notes the moment the expected total arrived.</summary>
public sealed class DeliveryCounter
{
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _count;
    private long _target = long.MaxValue;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Stopwatch timestamp of the delivery that reached the target.</summary>
    public long CompletedAt { get; private set; }

    /// <summary>Starts a new round: zero deliveries, waiting for <paramref name="target"/>.</summary>
    public void Reset(long target)
    {
        Volatile.Write(ref _target, long.MaxValue);
        Volatile.Write(ref _done, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Exchange(ref _count, 0);
        Volatile.Write(ref _target, target);
    }

    /// <summary>Sets the target once it is known (deliveries may already have reached it).</summary>
    public void SetTarget(long target)
    {
        Volatile.Write(ref _target, target);
        Add(0);
    }

    public void Add(long deliveries = 1)
    {
        var count = Interlocked.Add(ref _count, deliveries);
        var done = Volatile.Read(ref _done);
        if (count >= Volatile.Read(ref _target) && !done.Task.IsCompleted)
        {
            CompletedAt = Stopwatch.GetTimestamp();
            done.TrySetResult();
        }
    }

    /// <summary>True when the target was reached in time; false leaves the partial count to report.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout)
    {
        var done = Volatile.Read(ref _done).Task;
        var finished = await Task.WhenAny(done, Task.Delay(timeout));
        return finished == done;
    }

    /// <summary>A new counter waiting for <paramref name="target"/> deliveries.</summary>
    public static DeliveryCounter For(long target)
    {
        var counter = new DeliveryCounter();
        counter.Reset(target);
        return counter;
    }
}
