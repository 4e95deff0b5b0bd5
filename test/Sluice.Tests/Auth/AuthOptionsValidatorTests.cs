using Microsoft.Extensions.Options;
using Sluice.Server.Auth;

namespace Sluice.Tests.Auth;

public sealed class AuthOptionsValidatorTests
{
    private static string Single(AuthOptions options) => Assert.Single(AuthOptionsValidator.Validate(options));

    [Fact]
    public void The_defaults_are_valid_and_allow_anonymous_connections()
    {
        var options = new AuthOptions();
        Assert.Empty(AuthOptionsValidator.Validate(options));
        Assert.True(options.AllowAnonymous);
        Assert.Equal("anon", options.AnonymousRole);
        Assert.Equal("authenticated", options.AuthenticatedRole);
        Assert.Equal("role", options.RoleClaim);
    }

    [Fact]
    public void A_secret_too_short_for_hs256_is_explained()
    {
        Assert.Contains("too short for HS256", Single(new AuthOptions { JwtSecret = "short" }), StringComparison.Ordinal);
        Assert.Empty(AuthOptionsValidator.Validate(new AuthOptions { JwtSecret = new string('x', 32) }));
    }

    [Fact]
    public void Refusing_anonymous_connections_needs_a_way_to_authenticate()
    {
        Assert.Contains("no client could connect", Single(new AuthOptions { AllowAnonymous = false }), StringComparison.Ordinal);
        Assert.Empty(AuthOptionsValidator.Validate(new AuthOptions { AllowAnonymous = false, Jwks = "https://issuer.test/jwks.json" }));
    }

    [Theory]
    [InlineData("anon; RESET ROLE")]
    [InlineData("pg_monitor")]
    [InlineData("")]
    public void Configured_roles_must_be_safe_role_names(string role)
    {
        Assert.Contains("AnonymousRole", Single(new AuthOptions { AnonymousRole = role }), StringComparison.Ordinal);
        Assert.Contains("AuthenticatedRole", Single(new AuthOptions { AuthenticatedRole = role }), StringComparison.Ordinal);
    }

    [Fact]
    public void Other_settings_are_range_checked()
    {
        Assert.Contains("RoleClaim", Single(new AuthOptions { RoleClaim = " " }), StringComparison.Ordinal);
        Assert.Contains("ClockSkew", Single(new AuthOptions { ClockSkew = TimeSpan.FromHours(1) }), StringComparison.Ordinal);
        Assert.Contains("Jwks", Single(new AuthOptions { Jwks = "ftp://keys.test/jwks" }), StringComparison.Ordinal);
    }

    [Fact]
    public void A_jwks_file_that_is_missing_or_not_a_key_set_fails_start_up_clearly()
    {
        var missing = Assert.Throws<OptionsValidationException>(() => SigningKeys.Create(new AuthOptions { Jwks = "/nonexistent/jwks.json" }));
        Assert.Contains("cannot read the JWKS file", missing.Message, StringComparison.Ordinal);

        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "{\"keys\":[]}");
            Assert.Contains("no usable signing key", Assert.Throws<OptionsValidationException>(() => SigningKeys.Create(new AuthOptions { Jwks = path })).Message, StringComparison.Ordinal);
            File.WriteAllText(path, "not json");
            Assert.Contains("not a JSON Web Key Set", Assert.Throws<OptionsValidationException>(() => SigningKeys.Create(new AuthOptions { Jwks = path })).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_jwks_url_is_not_fetched_at_start_up()
    {
        var keys = SigningKeys.Create(new AuthOptions { Jwks = "https://issuer.test/.well-known/jwks.json" });
        Assert.True(keys.IsConfigured);
        Assert.True(keys.CanRefresh);
        Assert.Equal(["RS256", "ES256"], keys.Algorithms);
    }
}
