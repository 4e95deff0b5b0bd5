using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sluice.Bench.Harness;

/// <summary>Starts the Release build of the Sluice server (sluice.dll, copied beside the harness) as a child process.</summary>
public static class SluiceServer
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "sluice.dll");

    /// <summary>Switches added to every server's command line (<c>--server-arg</c>).</summary>
    public static IReadOnlyList<string> ExtraArguments { get; set; } = [];

    /// <summary>
    /// A server on its own slot and publication. Queues and retention are raised so that a benchmark measures
    /// throughput rather than the slow-consumer cut-off (the harness's clients share the machine), and the
    /// per-address connection limit so that tens of thousands of loopback clients may connect.
    /// </summary>
    /// <remarks>With <paramref name="ownLimits"/> the queue and retention limits are left to <paramref name="extraArguments"/> (the soak measures memory under the server's own limits).</remarks>
    public static Task<ChildServer> StartAsync(BenchDatabase database, string name, int retentionChanges = 200_000, IEnumerable<string>? extraArguments = null,
        bool ownLimits = false)
    {
        var port = LoopbackPort.Next();
        string[] raised =
        [
            "--queue-frames", "2000000",
            "--queue-bytes", "1073741824",
            "--retention-changes", retentionChanges.ToString(CultureInfo.InvariantCulture),
            "--retention-bytes", "2147483648",
        ];
        string[] arguments =
        [
            "--database", database.ConnectionString,
            "--urls", $"http://127.0.0.1:{port}",
            "--slot", name,
            "--publication", name,
            .. ownLimits ? [] : raised,
            "--max-connections-per-ip", "1000000",
            "--Logging:LogLevel:Default", "Warning",
            .. ExtraArguments,
            .. extraArguments ?? [],
        ];
        return ChildServer.StartAsync("sluice", Dll, arguments, port);
    }

    public static async Task<JsonElement> StatsAsync(ChildServer server) =>
        await server.Http.GetFromJsonAsync<JsonElement>("/api/realtime/stats");

    /// <summary>Waits until the server's retention window holds at least <paramref name="changes"/> changes.</summary>
    public static async Task WaitRetainedAsync(ChildServer server, int changes, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var stats = await StatsAsync(server);
            if (stats.GetProperty("retention").GetProperty("changes").GetInt32() >= changes)
                return;
            await Task.Delay(100);
        }

        throw new TimeoutException($"the server did not capture {changes} changes within {timeout.TotalSeconds} s");
    }
}
