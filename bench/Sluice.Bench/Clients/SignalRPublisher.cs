using Microsoft.AspNetCore.SignalR.Client;
using Sluice.Bench.Baselines;

namespace Sluice.Bench.Clients;

/// <summary>Invokes the hub's publish methods with a window of outstanding calls.</summary>
public static class SignalRPublisher
{
    private const int Window = 32;

    public static Task PublishAsync(HubConnection publisher, IReadOnlyList<string> payloads, int count) =>
        RunAsync(count, i => publisher.InvokeAsync(nameof(BenchHub.Publish), payloads[i % payloads.Count]));

    public static Task PublishToAsync(HubConnection publisher, int count, Func<int, (string Group, string Payload)> message) =>
        RunAsync(count, i =>
        {
            var (group, payload) = message(i);
            return publisher.InvokeAsync(nameof(BenchHub.PublishTo), group, payload);
        });

    /// <summary>
    /// Publishes <paramref name="perSecond"/> payloads/s for <paramref name="duration"/>, each stamped with the time
    /// it is sent (its <c>sent_ticks</c> replaced), for latency; returns how many were published.
    /// </summary>
    public static Task<int> PublishPacedAsync(HubConnection publisher, IReadOnlyList<string> payloads, double perSecond, TimeSpan duration) =>
        Harness.Pacer.RunAsync(perSecond, duration, workers: 4,
            () => Task.FromResult(NoState.Instance),
            (_, i) => publisher.InvokeAsync(nameof(BenchHub.Publish),
                SentTicks.Stamp(payloads[i % payloads.Count], System.Diagnostics.Stopwatch.GetTimestamp())));

    private static async Task RunAsync(int count, Func<int, Task> send)
    {
        var pending = new Queue<Task>();
        for (var i = 0; i < count; i++)
        {
            if (pending.Count == Window)
                await pending.Dequeue();
            pending.Enqueue(send(i));
        }

        await Task.WhenAll(pending);
    }

    private sealed class NoState : IAsyncDisposable
    {
        public static readonly NoState Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
