namespace Sluice.Client.Tests.Fakes;

/// <summary>Clients for the fake server: quick reconnects, quiet heartbeats, no fallback unless a test asks.</summary>
public static class TestClients
{
    public static SluiceClient Create(FakeServer server, Action<SluiceClientOptions>? configure = null)
    {
        var options = new SluiceClientOptions
        {
            Url = server.Url,
            ReconnectPolicy = new ExponentialBackoffPolicy(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200)),
            HeartbeatInterval = TimeSpan.FromSeconds(30),
            HeartbeatTimeout = TimeSpan.FromSeconds(60),
            FallbackAfter = null,
        };
        configure?.Invoke(options);
        return new SluiceClient(options);
    }

    /// <summary>Moves the fake clock in small steps until <paramref name="condition"/> holds (the client's timers are set
    /// asynchronously, so one big step could come before the timer it should fire).</summary>
    public static Task AdvanceUntilAsync(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, Func<bool> condition, string what) =>
        EventuallyAsync(() =>
        {
            if (condition())
                return true;
            time.Advance(TimeSpan.FromMilliseconds(250));
            return false;
        }, what);

    /// <summary>Waits until <paramref name="condition"/> holds; a hang guard, not a latency assertion.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + FakeServer.Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not reached within {FakeServer.Patience.TotalSeconds} s: {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Reads <paramref name="stream"/> to its end, passing each item to <paramref name="onItem"/>. The first read starts
    /// before this returns, so the stream's handler is registered before the test sends anything (a reader started with
    /// Task.Run may begin only after the frames it should see were dispatched).
    /// </summary>
    public static Task ReadAllAsync<T>(IAsyncEnumerable<T> stream, Action<T> onItem)
    {
        var items = stream.GetAsyncEnumerator();
        var next = items.MoveNextAsync();
        return Continue(items, next, onItem);

        static async Task Continue(IAsyncEnumerator<T> items, ValueTask<bool> next, Action<T> onItem)
        {
            await using (items)
            {
                while (await next)
                {
                    onItem(items.Current);
                    next = items.MoveNextAsync();
                }
            }
        }
    }
}
