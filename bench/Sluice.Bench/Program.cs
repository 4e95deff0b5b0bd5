using Sluice.Bench.Baselines;
using Sluice.Bench.Harness;
using Spectre.Console;

if (BaselineHosts.IsHostCommand(args))
    return await BaselineHosts.RunAsync(args);

var names = BenchRunner.All.Select(s => s.Name).ToList();
var parsed = BenchArgs.Parse(args, names, out var error);
if (parsed is null)
{
    AnsiConsole.MarkupLineInterpolated($"[red]{error}[/]");
    Console.WriteLine($"usage: dotnet run -c Release --project bench/Sluice.Bench -- <{string.Join('|', names)}|all>... [--quick] [--results DIR] [--server-arg ARG]...");
    return 2;
}

return await BenchRunner.RunAsync(parsed);
