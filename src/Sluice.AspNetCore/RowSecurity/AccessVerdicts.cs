namespace Sluice.Server.RowSecurity;

/// <summary>
/// The verdicts of one change per access group. Immutable: adding verdicts publishes a new instance
/// (<see cref="Capture.RowChange.AddVerdict"/>), so readers never lock.
/// </summary>
internal sealed class AccessVerdicts
{
    public static readonly AccessVerdicts Empty = new([], []);

    private readonly AccessGroup[] _groups;
    private readonly AccessVerdict[] _verdicts;

    private AccessVerdicts(AccessGroup[] groups, AccessVerdict[] verdicts)
    {
        _groups = groups;
        _verdicts = verdicts;
    }

    public int Count => _groups.Length;

    public bool TryGet(AccessGroup group, out AccessVerdict verdict)
    {
        var groups = _groups;
        for (var i = 0; i < groups.Length; i++)
        {
            if (ReferenceEquals(groups[i], group))
            {
                verdict = _verdicts[i];
                return true;
            }
        }
        verdict = AccessVerdict.Hidden;
        return false;
    }

    public bool Has(AccessGroup group) => TryGet(group, out _);

    /// <summary>A copy with <paramref name="group"/>'s verdict added (or replaced).</summary>
    public AccessVerdicts With(AccessGroup group, AccessVerdict verdict)
    {
        var index = Array.IndexOf(_groups, group);
        if (index >= 0)
        {
            var replaced = (AccessVerdict[])_verdicts.Clone();
            replaced[index] = verdict;
            return new AccessVerdicts(_groups, replaced);
        }
        return new AccessVerdicts([.. _groups, group], [.. _verdicts, verdict]);
    }
}
