using Sluice.Server.Capture;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Verdicts one batch of checks decided, kept until the round's wave of batches has answered and then published on each
/// change at once (<see cref="RowChange.AddVerdicts"/>): one new <see cref="AccessVerdicts"/> per change and wave, not one
/// per group. Owned by the one task running its batch; published after all of them finished.
/// </summary>
internal sealed class VerdictList
{
    private readonly Dictionary<RowChange, List<(AccessGroup Group, AccessVerdict Verdict)>> _byChange = new(ReferenceEqualityComparer.Instance);

    public void Add(RowChange change, AccessGroup group, AccessVerdict verdict)
    {
        if (!_byChange.TryGetValue(change, out var verdicts))
            _byChange[change] = verdicts = [];
        verdicts.Add((group, verdict));
    }

    /// <summary>Adds every list's verdicts to their changes, one publication per change.</summary>
    public static void Publish(IReadOnlyList<VerdictList> lists)
    {
        if (lists.Count == 1)
        {
            foreach (var (change, verdicts) in lists[0]._byChange)
                change.AddVerdicts(verdicts);
            return;
        }
        var merged = new Dictionary<RowChange, List<(AccessGroup Group, AccessVerdict Verdict)>>(ReferenceEqualityComparer.Instance);
        foreach (var list in lists)
        {
            foreach (var (change, verdicts) in list._byChange)
            {
                if (merged.TryGetValue(change, out var all))
                    all.AddRange(verdicts);
                else
                    merged[change] = [.. verdicts];
            }
        }
        foreach (var (change, verdicts) in merged)
            change.AddVerdicts(verdicts);
    }
}
