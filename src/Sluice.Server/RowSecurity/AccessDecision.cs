namespace Sluice.Server.RowSecurity;

/// <summary>Whether a subscriber may read a table, and as whom its snapshot is read (see <see cref="SubscriberAccess"/>).</summary>
public sealed record AccessDecision(bool Allowed, bool AssumeRole, string? Refusal)
{
    public static readonly AccessDecision AsRole = new(true, true, null);
    public static readonly AccessDecision AsServer = new(true, false, null);

    public static AccessDecision Refuse(string reason) => new(false, false, reason);
}
