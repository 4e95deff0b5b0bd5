using System.Globalization;

namespace Sluice.IntegrationTests.Observability;

/// <summary>Reads samples out of a Prometheus text exposition (only what the tests need: name, labels, value).</summary>
public sealed class PrometheusText(string text)
{
    public string Text { get; } = text;

    /// <summary>The value of the first sample named <paramref name="name"/> whose label text contains <paramref name="labelPart"/>; null when absent.</summary>
    public double? Value(string name, string? labelPart = null)
    {
        foreach (var raw in Text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            var nameEnd = line.IndexOfAny(['{', ' ']);
            if (nameEnd <= 0 || line[..nameEnd] != name)
                continue;
            var labels = line[nameEnd] == '{' ? line[(nameEnd + 1)..line.IndexOf('}', nameEnd)] : "";
            if (labelPart is not null && !labels.Contains(labelPart, StringComparison.Ordinal))
                continue;
            var afterLabels = line[nameEnd] == '{' ? line[(line.IndexOf('}', nameEnd) + 1)..].Trim() : line[nameEnd..].Trim();
            var valueText = afterLabels.Split(' ')[0];
            return double.Parse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return null;
    }

    public double Required(string name, string? labelPart = null) =>
        Value(name, labelPart) ?? throw new Xunit.Sdk.XunitException($"no sample {name} in /metrics:\n{Text}");
}
