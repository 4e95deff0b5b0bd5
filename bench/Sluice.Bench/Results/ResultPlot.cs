using ScottPlot;

namespace Sluice.Bench.Results;

/// <summary>
/// Grouped bar charts per scenario: for every case a Sluice bar beside a baseline bar, one chart per metric
/// (<c>stem.png</c> for the first, <c>stem-&lt;metric&gt;.png</c> for others, e.g. latency beside throughput).
/// </summary>
public static class ResultPlot
{
    /// <returns>The files written.</returns>
    public static IReadOnlyList<string> WriteAll(ScenarioResult result, string stem)
    {
        var paths = new List<string>();
        foreach (var group in result.Cases.GroupBy(c => c.Metric))
        {
            var path = paths.Count == 0 ? stem + ".png" : $"{stem}-{Slug(group.Key)}.png";
            paths.Add(Write(result with { Cases = [.. group] }, path));
        }
        return paths;
    }

    private static string Slug(string metric) =>
        new(metric.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());

    private static readonly Color SluiceColor = Colors.SteelBlue;
    private static readonly Color BaselineColor = Colors.Gray;

    private static string Write(ScenarioResult result, string path)
    {
        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (var i = 0; i < result.Cases.Count; i++)
        {
            var c = result.Cases[i];
            var center = i * 3.0;
            bars.Add(new Bar { Position = center - 0.5, Value = Finite(c.Sluice), FillColor = SluiceColor });
            bars.Add(new Bar { Position = center + 0.5, Value = Finite(c.Baseline), FillColor = BaselineColor });
            ticks.Add(new Tick(center, $"{c.Case}\n({c.Metric})", isMajor: true));
        }

        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Margins(bottom: 0);
        plot.Title($"{result.Scenario}{(result.Quick ? " (quick)" : "")}: Sluice vs {result.Baseline}");
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "Sluice", FillColor = SluiceColor });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = result.Baseline, FillColor = BaselineColor });
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = Alignment.UpperRight;
        plot.SavePng(path, Math.Max(640, 220 * result.Cases.Count), 480);
        return path;
    }

    private static double Finite(double value) => double.IsFinite(value) ? value : 0;
}
