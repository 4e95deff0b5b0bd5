using System.Globalization;
using Spectre.Console;

namespace Sluice.Bench.Results;

/// <summary>Prints a scenario's cases as a console table.</summary>
public static class ResultTable
{
    public static void Print(ScenarioResult result)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(result.Scenario)}[/] — baseline: {Markup.Escape(result.Baseline)}")
            .AddColumn("case").AddColumn("metric").AddColumn(new TableColumn("Sluice").RightAligned())
            .AddColumn(new TableColumn("baseline").RightAligned()).AddColumn(new TableColumn("Sluice/baseline").RightAligned())
            .AddColumn("note");
        foreach (var c in result.Cases)
        {
            var note = (c.Complete ? "" : "[red]incomplete[/] ") + Markup.Escape(c.Note ?? "");
            table.AddRow(Markup.Escape(c.Case), Markup.Escape(c.Metric), Format(c.Sluice), Format(c.Baseline),
                double.IsFinite(c.Ratio) ? c.Ratio.ToString("F2", CultureInfo.InvariantCulture) + (c.HigherIsBetter ? " ↑" : " ↓") : "–",
                note);
        }

        AnsiConsole.Write(table);
    }

    private static string Format(double value) =>
        !double.IsFinite(value) ? "–"
        : Math.Abs(value) >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture)
        : value.ToString("G4", CultureInfo.InvariantCulture);
}
