using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;

namespace Sluice.Server.Cli;

/// <summary>
/// <c>sluice bench [scenario…] [--quick]</c>: runs the end-to-end benchmark harness (<c>bench/Sluice.Bench</c>) as a child
/// process — <c>Sluice.Bench.dll</c> beside this executable or at <c>SLUICE_BENCH</c>, or else <c>dotnet run</c> of the
/// project found above the current directory.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliConsole console)
    {
        var scenarios = new Argument<string[]>("scenario") { Description = "Scenarios to run (default: all); see bench/README.md", Arity = ArgumentArity.ZeroOrMore };
        var quick = new Option<bool>("--quick") { Description = "Small sizes: a smoke run in about a minute" };
        var results = new Option<string?>("--results") { Description = "Folder for the JSON and PNG results" };
        var command = new Command("bench", "Run the benchmark harness (bench/Sluice.Bench) against baselines; other switches go to the harness") { TreatUnmatchedTokensAsErrors = false };
        command.Add(scenarios);
        command.Add(quick);
        command.Add(results);
        command.SetAction((result, cancellationToken) => SluiceCli.RunClientAsync(console, async () =>
        {
            var harnessArgs = new List<string>(result.GetValue(scenarios) is { Length: > 0 } chosen ? chosen : ["all"]);
            if (result.GetValue(quick))
                harnessArgs.Add("--quick");
            if (result.GetValue(results) is { Length: > 0 } folder)
                harnessArgs.AddRange(["--results", folder]);
            harnessArgs.AddRange(result.UnmatchedTokens);

            var start = Locate(harnessArgs) ?? throw new CliException(
                "The benchmark harness was not found: run this from a clone of the Sluice repository (bench/Sluice.Bench), or set SLUICE_BENCH to Sluice.Bench.dll.");
            console.Error.MarkupLine($"[grey]Running: {Markup.Escape(start.FileName + " " + string.Join(' ', start.ArgumentList))}[/]");
            using var process = Process.Start(start) ?? throw new CliException("Could not start the benchmark harness.");
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            return process.ExitCode;
        }));
        return command;
    }

    private static ProcessStartInfo? Locate(List<string> harnessArgs)
    {
        var dll = Environment.GetEnvironmentVariable("SLUICE_BENCH") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "Sluice.Bench.dll");
        ProcessStartInfo start;
        if (File.Exists(dll))
        {
            start = new ProcessStartInfo("dotnet");
            start.ArgumentList.Add(dll);
        }
        else
        {
            var project = FindProject();
            if (project is null)
                return null;
            start = new ProcessStartInfo("dotnet");
            foreach (var argument in new[] { "run", "-c", "Release", "--project", project, "--" })
                start.ArgumentList.Add(argument);
        }
        foreach (var argument in harnessArgs)
            start.ArgumentList.Add(argument);
        start.UseShellExecute = false;
        return start;
    }

    private static string? FindProject()
    {
        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "bench", "Sluice.Bench", "Sluice.Bench.csproj");
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
