namespace Sluice.Bench.Harness;

/// <summary>The command line: <c>&lt;scenario|all&gt; [--quick] [--results DIR] [--server-arg ARG]...</c>.</summary>
/// <param name="Scenarios">Scenario names to run, in order.</param>
/// <param name="Quick">Small sizes (the CI smoke run).</param>
/// <param name="ResultsDirectory">Where JSON and PNG results go.</param>
/// <param name="ServerArguments">Extra switches for every Sluice server the run starts (e.g. <c>--inline-scheduling true</c>).</param>
public sealed record BenchArgs(IReadOnlyList<string> Scenarios, bool Quick, string ResultsDirectory, IReadOnlyList<string> ServerArguments)
{
    public static BenchArgs? Parse(string[] args, IReadOnlyList<string> known, out string? error)
    {
        error = null;
        var scenarios = new List<string>();
        var quick = false;
        var results = DefaultResultsDirectory();
        var serverArguments = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--results" when i + 1 < args.Length:
                    results = Path.GetFullPath(args[++i]);
                    break;
                case "--server-arg" when i + 1 < args.Length:
                    serverArguments.Add(args[++i]);
                    break;
                case "all":
                    // The soak runs for half an hour: only when named.
                    scenarios.AddRange(known.Where(static name => name != "soak"));
                    break;
                default:
                    if (!known.Contains(args[i]))
                    {
                        error = $"unknown scenario or option '{args[i]}'";
                        return null;
                    }
                    scenarios.Add(args[i]);
                    break;
            }
        }

        if (scenarios.Count == 0)
        {
            error = "name a scenario or 'all'";
            return null;
        }

        return new BenchArgs(scenarios.Distinct().ToList(), quick, results, serverArguments);
    }

    /// <summary>bench/results beside the project when run from the repository, else ./bench-results.</summary>
    private static string DefaultResultsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sluice.slnx")))
                return Path.Combine(dir.FullName, "bench", "results");
        }

        return Path.GetFullPath("bench-results");
    }
}
