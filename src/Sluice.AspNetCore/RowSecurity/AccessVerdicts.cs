namespace Sluice.Server.RowSecurity;

/// <summary>
/// The verdicts of one change per access group. Immutable: adding verdicts publishes a new instance
/// (<see cref="Capture.RowChange.AddVerdicts"/>), so readers never lock.
/// </summary>
/// <remarks>
/// A change of a table with row-level security is judged for every access group interested in it (one per claim set: a
/// hundred organizations, a thousand users) and then read once for each subscriber it is routed to. So the checker adds all
/// the verdicts of a round at once (<see cref="WithAll"/>: one copy per change, not one per group), and a lookup among many
/// groups goes through an index built once per instance.
/// </remarks>
internal sealed class AccessVerdicts
{
    public static readonly AccessVerdicts Empty = new([], []);

    /// <summary>Above this many groups a lookup uses the index rather than a scan.</summary>
    private const int ScanLimit = 16;

    private readonly AccessGroup[] _groups;
    private readonly AccessVerdict[] _verdicts;
    private Dictionary<AccessGroup, int>? _index;

    private AccessVerdicts(AccessGroup[] groups, AccessVerdict[] verdicts)
    {
        _groups = groups;
        _verdicts = verdicts;
    }

    public int Count => _groups.Length;

    public bool TryGet(AccessGroup group, out AccessVerdict verdict)
    {
        var index = IndexOf(group);
        verdict = index >= 0 ? _verdicts[index] : AccessVerdict.Hidden;
        return index >= 0;
    }

    public bool Has(AccessGroup group) => IndexOf(group) >= 0;

    /// <summary>A copy with <paramref name="group"/>'s verdict added (or replaced).</summary>
    public AccessVerdicts With(AccessGroup group, AccessVerdict verdict) => WithAll([(group, verdict)]);

    /// <summary>
    /// A copy with every verdict of <paramref name="added"/> added (or replaced; of a group given twice, the later one).
    /// </summary>
    public AccessVerdicts WithAll(IReadOnlyList<(AccessGroup Group, AccessVerdict Verdict)> added)
    {
        if (added.Count == 0)
            return this;
        var groups = new List<AccessGroup>(_groups.Length + added.Count);
        var verdicts = new List<AccessVerdict>(_groups.Length + added.Count);
        groups.AddRange(_groups);
        verdicts.AddRange(_verdicts);
        // Positions of the groups in the copy: this instance's index for its own, a local map for the ones added here.
        Dictionary<AccessGroup, int>? addedAt = null;
        foreach (var (group, verdict) in added)
        {
            var at = IndexOf(group);
            if (at < 0 && addedAt is not null && addedAt.TryGetValue(group, out var laterAt))
                at = laterAt;
            if (at >= 0)
            {
                verdicts[at] = verdict;
                continue;
            }
            (addedAt ??= new Dictionary<AccessGroup, int>(ReferenceEqualityComparer.Instance))[group] = groups.Count;
            groups.Add(group);
            verdicts.Add(verdict);
        }
        return new AccessVerdicts([.. groups], [.. verdicts]);
    }

    private int IndexOf(AccessGroup group)
    {
        var groups = _groups;
        if (groups.Length <= ScanLimit)
        {
            for (var i = 0; i < groups.Length; i++)
            {
                if (ReferenceEquals(groups[i], group))
                    return i;
            }
            return -1;
        }
        var index = Volatile.Read(ref _index);
        if (index is null)
        {
            index = BuildIndex(groups);
            Volatile.Write(ref _index, index);
        }
        return index.TryGetValue(group, out var at) ? at : -1;
    }

    /// <summary>Group → position; built at most a few times per instance (a race builds two equal ones, either is right).</summary>
    private static Dictionary<AccessGroup, int> BuildIndex(AccessGroup[] groups)
    {
        var index = new Dictionary<AccessGroup, int>(groups.Length, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < groups.Length; i++)
            index[groups[i]] = i;
        return index;
    }
}
