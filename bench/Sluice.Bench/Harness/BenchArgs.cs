namespace Sluice.Bench.Harness;

/// <summary>The command line: <c>&lt;scenario|all&gt; [--quick] [--results DIR]</c>.</summary>
public sealed record BenchArgs(IReadOnlyList<string> Scenarios, bool Quick, string ResultsDirectory)
{
    public static BenchArgs? Parse(string[] args, IReadOnlyList<string> known, out string? error)
    {
        error = null;
        var scenarios = new List<string>();
        var quick = false;
        var results = DefaultResultsDirectory();
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
                case "all":
                    scenarios.AddRange(known);
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

        return new BenchArgs(scenarios.Distinct().ToList(), quick, results);
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
