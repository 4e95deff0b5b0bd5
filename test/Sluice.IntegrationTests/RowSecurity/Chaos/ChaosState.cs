using System.Collections.Immutable;

namespace Sluice.IntegrationTests.RowSecurity.Chaos;

/// <summary>
/// Everything that decides who may read which row, at one moment of a chaos run: memberships, whether each table has
/// row-level security, which member policy each table has (A: membership table; B: the token's home_org claim), and which
/// incarnation of the dropped-and-recreated table exists. Immutable; every control event makes the next one.
/// </summary>
public sealed record ChaosState(
    ImmutableHashSet<(string User, int Organization)> Members,
    ImmutableDictionary<string, bool> RowSecurity,
    ImmutableDictionary<string, char> MemberPolicy,
    int TempIncarnation)
{
    public static ChaosState Initial(IEnumerable<(string User, int Organization)> members) => new(
        [.. members],
        ChaosWorld.Tables.ToImmutableDictionary(t => t.Name, _ => true),
        ChaosWorld.Tables.ToImmutableDictionary(t => t.Name, _ => 'A'),
        0);
}

/// <summary>One control event: its sequence number (the row it wrote into the control table), what it did, the state after it.</summary>
public sealed record ChaosControl(int Seq, string Description, ChaosState After, bool RecreatesTemp)
{
    /// <summary>When it committed and at which commit LSN (from the observer's stream of the control table).</summary>
    public DateTime CommittedAt { get; set; }

    public ulong CommitLsn { get; set; }
}
