using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Sluice.Bench.Results;
using Sluice.Bench.Scenarios;
using Spectre.Console;

namespace Sluice.Bench.Harness;

/// <summary>Starts PostgreSQL once, runs the chosen scenarios in order, and writes table, JSON and PNG per scenario.</summary>
public static class BenchRunner
{
    public static IReadOnlyList<IScenario> All { get; } =
    [
        new CaptureScenario(),
        new LatencyScenario(),
        new FanoutScenario(),
        new ResumeScenario(),
        new ConnectionsScenario(),
        new FiltersScenario(),
        new ClusterScenario(),
        new SoakScenario(),
        new RlsWindowScenario(),
        new RlsScenario(),
        new RlsBroadcastScenario(),
        new WriteCostScenario(),
    ];

    public static async Task<int> RunAsync(BenchArgs args)
    {
        if (!File.Exists(SluiceServer.Dll))
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{SluiceServer.Dll} is missing: build the bench project first[/]");
            return 2;
        }

        Directory.CreateDirectory(args.ResultsDirectory);
        SluiceServer.ExtraArguments = args.ServerArguments;
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        var machine = MachineInfo.Current();
        AnsiConsole.MarkupLineInterpolated(
            $"[bold]Sluice bench[/] {(args.Quick ? "(quick)" : "(full)")}: {string.Join(", ", args.Scenarios)} on {machine.Cpu}, {machine.LogicalCores} cores, {machine.MemoryGiB} GiB");
        var total = Stopwatch.StartNew();
        var failures = 0;
        await using var database = await BenchDatabase.StartAsync(loggers.CreateLogger("postgres"));
        foreach (var scenario in All.Where(s => args.Scenarios.Contains(s.Name)))
        {
            AnsiConsole.Write(new Rule($"[bold]{scenario.Name}[/]").LeftJustified());
            var context = new ScenarioContext(database, args.Quick);
            var started = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            try
            {
                var cases = await scenario.RunAsync(context);
                var result = new ScenarioResult(scenario.Name, scenario.Baseline, args.Quick, started,
                    clock.Elapsed.TotalSeconds, machine, cases, context.Details);
                ResultTable.Print(result);
                var stem = Path.Combine(args.ResultsDirectory, $"{scenario.Name}{(args.Quick ? "-quick" : "")}-{started:yyyyMMdd-HHmmss}");
                await ResultJson.WriteAsync(result, stem + ".json");
                var plots = ResultPlot.WriteAll(result, stem);
                AnsiConsole.MarkupLineInterpolated($"[grey]  {clock.Elapsed.TotalSeconds:F1} s → {stem}.json, {string.Join(", ", plots.Select(Path.GetFileName))}[/]");
            }
            catch (Exception e)
            {
                failures++;
                AnsiConsole.MarkupLineInterpolated($"[red]{scenario.Name} failed:[/] {e}");
            }

            // Servers are gone by now: drop their slots so no scenario pays for another's retained WAL.
            await database.DropInactiveSlotsAsync();
        }

        AnsiConsole.MarkupLineInterpolated($"[bold]done[/] in {total.Elapsed.TotalSeconds:F0} s, {failures} failed");
        return failures == 0 ? 0 : 1;
    }
}
