namespace Sluice.Server.Auth;

/// <summary>
/// Who a connection is, as the database will see it: the role for <c>SET LOCAL ROLE</c> and the claims for
/// <c>request.jwt.claims</c>. Immutable; a token refresh replaces the whole identity.
/// </summary>
/// <param name="Role">A database role name that passed <see cref="RoleName.IsSafe"/>.</param>
/// <param name="ClaimsJson">The token's claims in canonical form (see <see cref="Auth.ClaimsJson"/>).</param>
/// <param name="Subject">The <c>sub</c> claim, when the token has one.</param>
/// <param name="ExpiresAt">The token's <c>exp</c>; null for anonymous connections, which never expire.</param>
internal sealed record ConnectionIdentity(string Role, string ClaimsJson, string? Subject, DateTimeOffset? ExpiresAt)
{
    /// <summary>
    /// Equal for connections that must see exactly the same rows (same role, same canonical claims): the key
    /// by which row-level checks are grouped.
    /// </summary>
    public string ClaimSetKey { get; } = Role + "\n" + ClaimsJson;

    /// <summary>Whether the connection came without a token.</summary>
    public bool IsAnonymous => ExpiresAt is null;

    /// <summary>An anonymous connection running as <paramref name="role"/>.</summary>
    public static ConnectionIdentity Anonymous(string role) => new(role, Auth.ClaimsJson.ForRole(role), null, null);
}
