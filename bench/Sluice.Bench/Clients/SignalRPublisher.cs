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
}
