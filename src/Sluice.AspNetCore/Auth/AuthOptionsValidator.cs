using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Sluice.Server.Auth;

/// <summary>Checks <see cref="AuthOptions"/> at start-up and explains every problem in terms of the setting to fix.</summary>
internal static class AuthOptionsValidator
{
    public static IReadOnlyList<string> Validate(AuthOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrEmpty(options.JwtSecret) && Encoding.UTF8.GetByteCount(options.JwtSecret) < AuthOptions.MinimumSecretBytes)
            failures.Add($"Sluice:Auth:JwtSecret is too short for HS256: use at least {AuthOptions.MinimumSecretBytes} bytes (256 bits), e.g. `openssl rand -base64 32`.");
        if (!string.IsNullOrWhiteSpace(options.Jwks) && options.Jwks.Contains("://", StringComparison.Ordinal) && !IsUrl(options.Jwks, out _))
            failures.Add("Sluice:Auth:Jwks must be a file path or an absolute http(s) URL.");
        if (!options.AllowAnonymous && !options.HasSigningKeys)
            failures.Add("Sluice:Auth:AllowAnonymous is false but neither Sluice:Auth:JwtSecret nor Sluice:Auth:Jwks is set: no client could connect.");
        if (!RoleName.IsSafe(options.AnonymousRole))
            failures.Add($"Sluice:Auth:AnonymousRole must be a role name of {RoleName.Rule}.");
        if (!RoleName.IsSafe(options.AuthenticatedRole))
            failures.Add($"Sluice:Auth:AuthenticatedRole must be a role name of {RoleName.Rule}.");
        if (string.IsNullOrWhiteSpace(options.RoleClaim))
            failures.Add("Sluice:Auth:RoleClaim must name a claim, e.g. role.");
        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(10))
            failures.Add("Sluice:Auth:ClockSkew must be between 00:00:00 and 00:10:00.");
        if (options.JwksRefreshInterval < TimeSpan.FromMinutes(1) || options.JwksRefreshInterval > TimeSpan.FromDays(7))
            failures.Add("Sluice:Auth:JwksRefreshInterval must be between 00:01:00 and 7.00:00:00.");
        return failures;
    }

    /// <summary>Whether the JWKS setting is a URL (rather than a file path).</summary>
    public static bool IsUrl(string value, [NotNullWhen(true)] out Uri? url) =>
        Uri.TryCreate(value, UriKind.Absolute, out url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp);
}
