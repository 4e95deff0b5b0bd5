using System.Diagnostics;
using Spectre.Console;

namespace Sluice.Bench.Harness;

/// <summary>Prints "what / done of total" every two seconds while a long wait runs.</summary>
public sealed class ProgressLine : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ProgressLine(string what, Func<long> done, long total)
    {
        _loop = LoopAsync(what, done, total, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private static async Task LoopAsync(string what, Func<long> done, long total, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), token);
                AnsiConsole.MarkupLineInterpolated($"[grey]  … {what}: {done():N0} / {total:N0} ({clock.Elapsed.TotalSeconds:F0} s)[/]");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
