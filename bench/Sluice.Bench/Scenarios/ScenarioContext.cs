using System.Diagnostics;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Spectre.Console;

namespace Sluice.Bench.Scenarios;

/// <summary>What a scenario gets: the database, the mode, a place for extra numbers, and waiting helpers.</summary>
public sealed class ScenarioContext(BenchDatabase database, bool quick)
{
    public BenchDatabase Database { get; } = database;

    public bool Quick { get; } = quick;

    /// <summary>How long to wait for deliveries before reporting a case as incomplete.</summary>
    public TimeSpan Patience => Quick ? TimeSpan.FromSeconds(60) : TimeSpan.FromMinutes(10);

    /// <summary>Extra measured numbers written to the JSON (sizes, achieved rates, raw memory).</summary>
    public Dictionary<string, double> Details { get; } = [];

    public static void Log(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]  {message}[/]");

    /// <summary>Waits for <paramref name="counter"/> with a progress line; returns (delivered, seconds since start, complete).</summary>
    public async Task<(long Delivered, double Seconds, bool Complete)> WaitAsync(
        string what, DeliveryCounter counter, long target, long startTimestamp)
    {
        bool complete;
        await using (new ProgressLine(what, () => counter.Count, target))
            complete = await counter.WaitAsync(Patience);
        var end = complete ? counter.CompletedAt : Stopwatch.GetTimestamp();
        return (counter.Count, Stopwatch.GetElapsedTime(startTimestamp, end).TotalSeconds, complete);
    }
}
