namespace Sluice.Bench.Results;

/// <summary>Everything one scenario measured, written to bench/results/&lt;scenario&gt;-&lt;time&gt;.json.</summary>
public sealed record ScenarioResult(
    string Scenario,
    string Baseline,
    bool Quick,
    DateTimeOffset StartedAt,
    double Seconds,
    MachineInfo Machine,
    IReadOnlyList<CaseResult> Cases,
    IReadOnlyDictionary<string, double> Details);
