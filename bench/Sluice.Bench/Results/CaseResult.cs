namespace Sluice.Bench.Results;

/// <summary>One measured comparison: Sluice against the baseline on the same data in the same run.</summary>
public sealed record CaseResult(
    string Case,
    string Metric,
    double Sluice,
    double Baseline,
    bool HigherIsBetter,
    bool Complete = true,
    string? Note = null)
{
    /// <summary>Sluice / baseline (NaN when the baseline measured zero).</summary>
    public double Ratio => Baseline == 0 ? double.NaN : Sluice / Baseline;
}
