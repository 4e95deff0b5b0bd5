namespace Sluice.Server.RowSecurity;

/// <summary>
/// Whether a subscriber may read a table, and as whom its snapshot is read (see <see cref="SubscriberAccess"/>) — or,
/// <see cref="IsStale"/>, no decision at all: the relation that was looked up is no longer the table of its name (dropped,
/// or dropped and recreated since the lookup), so nothing was established about it. A stale decision allows nothing and
/// is no refusal either: the name is looked up again (see <see cref="TableAccessResolver"/>).
/// </summary>
internal sealed record AccessDecision(bool Allowed, bool AssumeRole, string? Refusal, bool IsStale = false)
{
    public static readonly AccessDecision AsRole = new(true, true, null);
    public static readonly AccessDecision AsServer = new(true, false, null);

    /// <summary>The looked-up relation is no longer the table of its name: decide again for what the name leads to now.</summary>
    public static readonly AccessDecision Stale = new(false, false, null, IsStale: true);

    public static AccessDecision Refuse(string reason) => new(false, false, reason);
}
