using Sluice.Server.Auth;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Subscribers that must see exactly the same rows: one database role with one canonical claim set
/// (<see cref="ConnectionIdentity.ClaimSetKey"/>). Row-level checks run once per group, never per subscriber.
/// Compared by reference: the router hands out one instance per key while the group has subscriptions.
/// </summary>
internal sealed class AccessGroup(ConnectionIdentity identity)
{
    public string Key { get; } = identity.ClaimSetKey;
    public string Role { get; } = identity.Role;
    public string ClaimsJson { get; } = identity.ClaimsJson;
    public string? Subject { get; } = identity.Subject;

    /// <summary>Subscriptions (live or catching up) and pending preparations holding the group; guarded by the router's lock.</summary>
    internal int References { get; set; }

    public override string ToString() => $"role {Role}, claims {ClaimsJson}";
}
