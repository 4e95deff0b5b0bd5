namespace Sluice.Server.Auth;

/// <summary>Authentication settings, bound from the <c>Sluice:Auth</c> configuration section (see the README).</summary>
public sealed class AuthOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "Sluice:Auth";

    /// <summary>Shortest HS256 secret accepted, in UTF-8 bytes (256 bits, the size of the HMAC-SHA256 key).</summary>
    public const int MinimumSecretBytes = 32;

    /// <summary>HS256 shared secret (its UTF-8 bytes are the key). Also read from <c>SLUICE_JWT_SECRET</c>.</summary>
    public string? JwtSecret { get; set; }

    /// <summary>JSON Web Key Set for RS256/ES256 tokens: a file path, or an <c>https://</c> URL fetched and refreshed in the background.</summary>
    public string? Jwks { get; set; }

    /// <summary>When set, a token's <c>iss</c> must equal it.</summary>
    public string? Issuer { get; set; }

    /// <summary>When set, a token's <c>aud</c> must contain it.</summary>
    public string? Audience { get; set; }

    /// <summary>Whether connections without a token are accepted (they run as <see cref="AnonymousRole"/>).</summary>
    public bool AllowAnonymous { get; set; } = true;

    /// <summary>Database role of anonymous connections.</summary>
    public string AnonymousRole { get; set; } = "anon";

    /// <summary>Database role of authenticated connections whose token has no <see cref="RoleClaim"/>.</summary>
    public string AuthenticatedRole { get; set; } = "authenticated";

    /// <summary>The top-level claim that names a token's database role.</summary>
    public string RoleClaim { get; set; } = "role";

    /// <summary>Tolerance for clock differences when checking <c>exp</c> and <c>nbf</c>; a connection's token expires at <c>exp</c> plus this.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a JWKS URL is fetched again (sooner when a token names an unknown key, at most every 5 minutes).</summary>
    public TimeSpan JwksRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether tokens can be validated at all (a secret or a JWKS is configured).</summary>
    public bool HasSigningKeys => !string.IsNullOrEmpty(JwtSecret) || !string.IsNullOrWhiteSpace(Jwks);
}
