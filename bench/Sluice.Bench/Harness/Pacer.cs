using System.Diagnostics;

namespace Sluice.Bench.Harness;

/// <summary>Runs an action at a fixed total rate for a fixed time, spread over a few concurrent workers.</summary>
public static class Pacer
{
    /// <summary>Calls <paramref name="action"/> with 0, 1, 2, … each at its due time; returns how many were issued.</summary>
    /// <param name="perSecond">Total rate over all workers.</param>
    /// <param name="duration">How long to issue for.</param>
    /// <param name="workers">How many may be in flight at once; each gets its own state from <paramref name="open"/>.</param>
    /// <param name="open">Creates a worker's state (e.g. a prepared command); disposed when the worker ends.</param>
    /// <param name="action">Issues item <c>i</c> with the worker's state.</param>
    public static async Task<int> RunAsync<TWorker>(
        double perSecond, TimeSpan duration, int workers, Func<Task<TWorker>> open, Func<TWorker, int, Task> action)
        where TWorker : IAsyncDisposable
    {
        var total = Math.Max(1, (int)(perSecond * duration.TotalSeconds));
        var interval = Stopwatch.Frequency / perSecond;
        var start = Stopwatch.GetTimestamp();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            await using var worker = await open();
            for (var i = Interlocked.Increment(ref next); i < total; i = Interlocked.Increment(ref next))
            {
                var due = start + (long)(i * interval);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                    await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
                await action(worker, i);
            }
        }));
        return total;
    }
}
