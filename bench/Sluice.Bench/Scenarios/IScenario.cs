using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>One benchmark: measures Sluice and its baseline on the same data in the same run.</summary>
public interface IScenario
{
    string Name { get; }

    /// <summary>What Sluice is compared with, in a few words.</summary>
    string Baseline { get; }

    Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context);
}
