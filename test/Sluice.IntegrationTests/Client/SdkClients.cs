using Sluice.Client;

namespace Sluice.IntegrationTests.Client;

/// <summary>SDK clients for the integration tests: quick reconnects, fallback off unless asked for.</summary>
public static class SdkClients
{
    /// <summary>How long to wait for the SDK to converge; a hang guard, not a latency assertion.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public static SluiceClient Create(Uri url, Action<SluiceClientOptions>? configure = null)
    {
        var options = new SluiceClientOptions
        {
            Url = url,
            ReconnectPolicy = new ExponentialBackoffPolicy(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500)),
            FallbackAfter = null,
        };
        configure?.Invoke(options);
        return new SluiceClient(options);
    }

    public static async Task EventuallyAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not reached within {Patience.TotalSeconds} s: {what()}");
            await Task.Delay(20);
        }
    }

    public static async Task EventuallyAsync(Func<Task<bool>> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not reached within {Patience.TotalSeconds} s: {what()}");
            await Task.Delay(50);
        }
    }
}
