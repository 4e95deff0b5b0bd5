using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Sluice.Protocol;
using Sluice.Server.Auth;

namespace Sluice.Tests.Auth;

public sealed class TokenValidatorTests : IDisposable
{
    private readonly TestTokens _tokens = new();

    private TokenValidator Validator(Action<AuthOptions>? configure = null)
    {
        var options = new AuthOptions { JwtSecret = TestTokens.Secret, Jwks = _tokens.JwksPath, ClockSkew = TimeSpan.Zero };
        configure?.Invoke(options);
        Assert.Empty(AuthOptionsValidator.Validate(options));
        return new TokenValidator(Options.Create(options), SigningKeys.Create(options), NullLogger<TokenValidator>.Instance);
    }

    private static async Task<ConnectionIdentity> Accepted(TokenValidator validator, string token)
    {
        var result = await validator.ValidateAsync(token, CancellationToken.None);
        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        return result.Identity;
    }

    private static async Task<string> Refused(TokenValidator validator, string? token, string code)
    {
        var result = await validator.AuthenticateAsync(token, CancellationToken.None);
        Assert.False(result.Succeeded);
        Assert.Equal(code, result.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(result.ErrorMessage));
        if (token is { Length: > 20 })
            Assert.DoesNotContain(token, result.ErrorMessage, StringComparison.Ordinal);
        return result.ErrorMessage;
    }

    [Fact]
    public async Task An_hs256_token_gives_its_role_subject_expiry_and_canonical_claims()
    {
        var expires = DateTime.UtcNow.AddMinutes(30);
        var token = TestTokens.Create(_tokens.HmacKey, expires: expires, claims: new Dictionary<string, object>
        {
            ["sub"] = "user-7", ["role"] = "member", ["organization_id"] = 42, ["app"] = new Dictionary<string, object> { ["z"] = 1, ["a"] = true },
        });

        var identity = await Accepted(Validator(), token);

        Assert.Equal("member", identity.Role);
        Assert.Equal("user-7", identity.Subject);
        Assert.False(identity.IsAnonymous);
        Assert.Equal(new DateTimeOffset(expires.AddTicks(-(expires.Ticks % TimeSpan.TicksPerSecond)), TimeSpan.Zero), identity.ExpiresAt);
        // Sorted keys at every depth; exp, iat and nbf are left out so two tokens of the same user group together.
        Assert.Equal("""{"app":{"a":true,"z":1},"organization_id":42,"role":"member","sub":"user-7"}""", identity.ClaimsJson);
    }

    [Fact]
    public async Task Two_tokens_of_the_same_user_share_a_claim_set_and_another_user_does_not()
    {
        var validator = Validator();
        var claims = new Dictionary<string, object> { ["sub"] = "u", ["organization_id"] = "a" };
        var first = await Accepted(validator, TestTokens.Create(_tokens.HmacKey, claims: claims, expires: DateTime.UtcNow.AddMinutes(5)));
        var second = await Accepted(validator, TestTokens.Create(_tokens.HmacKey, claims: claims, expires: DateTime.UtcNow.AddMinutes(50)));
        var other = await Accepted(validator, TestTokens.Create(_tokens.HmacKey, claims: new Dictionary<string, object> { ["sub"] = "u", ["organization_id"] = "b" }));

        Assert.Equal(first.ClaimSetKey, second.ClaimSetKey);
        Assert.NotEqual(first.ClaimSetKey, other.ClaimSetKey);
    }

    [Fact]
    public async Task Without_a_role_claim_the_authenticated_role_applies_and_the_role_claim_name_is_configurable()
    {
        Assert.Equal("authenticated", (await Accepted(Validator(), _tokens.Hs256())).Role);

        var claims = new Dictionary<string, object> { ["sub"] = "u", ["db_role"] = "editor", ["role"] = "ignored" };
        var custom = Validator(options => { options.RoleClaim = "db_role"; options.AuthenticatedRole = "member"; });
        Assert.Equal("editor", (await Accepted(custom, _tokens.Hs256(claims))).Role);
        Assert.Equal("member", (await Accepted(custom, _tokens.Hs256())).Role);
    }

    [Theory]
    [InlineData(SecurityAlgorithms.RsaSha256)]
    [InlineData(SecurityAlgorithms.EcdsaSha256)]
    public async Task Rs256_and_es256_tokens_are_checked_against_the_jwks_file(string algorithm)
    {
        var key = algorithm == SecurityAlgorithms.RsaSha256 ? _tokens.RsaKey : _tokens.EcKey;
        var identity = await Accepted(Validator(options => options.JwtSecret = null), TestTokens.Create(key, algorithm));
        Assert.Equal("user-1", identity.Subject);
    }

    [Fact]
    public async Task A_token_signed_by_an_unknown_key_is_refused()
    {
        using var stranger = RSA.Create(2048);
        var token = TestTokens.Create(new RsaSecurityKey(stranger) { KeyId = "rsa-1" }, SecurityAlgorithms.RsaSha256);
        await Refused(Validator(), token, ErrorCodes.InvalidToken);
        using var otherEc = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await Refused(Validator(), TestTokens.Create(new ECDsaSecurityKey(otherEc), SecurityAlgorithms.EcdsaSha256), ErrorCodes.InvalidToken);
        await Refused(Validator(), TestTokens.Create(new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-secret-of-at-least-32-bytes!!"))), ErrorCodes.InvalidToken);
    }

    [Fact]
    public async Task Alg_none_is_refused()
    {
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var message = await Refused(Validator(), TestTokens.Unsigned(new { sub = "admin", role = "service_role", exp }), ErrorCodes.InvalidToken);
        Assert.Contains("signature", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tampered_payload_or_signature_is_refused()
    {
        var token = _tokens.Hs256(new Dictionary<string, object> { ["sub"] = "user-1", ["role"] = "member" });
        var parts = token.Split('.');
        var forgedPayload = Base64UrlEncoder.Encode(Base64UrlEncoder.Decode(parts[1]).Replace("member", "admins", StringComparison.Ordinal));
        await Refused(Validator(), $"{parts[0]}.{forgedPayload}.{parts[2]}", ErrorCodes.InvalidToken);

        var signature = parts[2].ToCharArray();
        signature[5] = signature[5] == 'A' ? 'B' : 'A';
        await Refused(Validator(), $"{parts[0]}.{parts[1]}.{new string(signature)}", ErrorCodes.InvalidToken);
        await Refused(Validator(), $"{parts[0]}.{parts[1]}.", ErrorCodes.InvalidToken);
    }

    [Fact]
    public async Task An_hs256_token_is_refused_when_only_a_jwks_is_configured()
    {
        await Refused(Validator(options => options.JwtSecret = null), _tokens.Hs256(), ErrorCodes.InvalidToken);
    }

    [Fact]
    public async Task An_expired_token_gets_token_expired_and_a_future_nbf_is_invalid()
    {
        await Refused(Validator(), _tokens.Hs256(expires: DateTime.UtcNow.AddMinutes(-5)), ErrorCodes.TokenExpired);
        var notYet = TestTokens.Create(_tokens.HmacKey, expires: DateTime.UtcNow.AddHours(2), notBefore: DateTime.UtcNow.AddHours(1));
        Assert.Contains("nbf", await Refused(Validator(), notYet, ErrorCodes.InvalidToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_clock_skew_tolerates_a_recently_expired_token()
    {
        var token = _tokens.Hs256(expires: DateTime.UtcNow.AddSeconds(-20));
        await Refused(Validator(), token, ErrorCodes.TokenExpired);
        await Accepted(Validator(options => options.ClockSkew = TimeSpan.FromMinutes(1)), token);
    }

    [Fact]
    public async Task A_token_without_exp_is_refused()
    {
        var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = "u" },
            SigningCredentials = new SigningCredentials(_tokens.HmacKey, SecurityAlgorithms.HmacSha256),
        });
        Assert.Contains("exp", await Refused(Validator(), token, ErrorCodes.InvalidToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issuer_and_audience_are_checked_when_configured()
    {
        var validator = Validator(options => { options.Issuer = "https://issuer.test"; options.Audience = "sluice"; });
        await Accepted(validator, TestTokens.Create(_tokens.HmacKey, issuer: "https://issuer.test", audience: "sluice"));
        Assert.Contains("iss", await Refused(validator, TestTokens.Create(_tokens.HmacKey, issuer: "https://evil.test", audience: "sluice"), ErrorCodes.InvalidToken), StringComparison.Ordinal);
        Assert.Contains("aud", await Refused(validator, TestTokens.Create(_tokens.HmacKey, issuer: "https://issuer.test", audience: "other"), ErrorCodes.InvalidToken), StringComparison.Ordinal);
        await Refused(validator, TestTokens.Create(_tokens.HmacKey), ErrorCodes.InvalidToken);

        // Not configured: not checked.
        await Accepted(Validator(), TestTokens.Create(_tokens.HmacKey, issuer: "anyone", audience: "anything"));
    }

    [Theory]
    [InlineData("postgres; DROP TABLE x")]
    [InlineData("pg_read_all_data")]
    [InlineData("")]
    [InlineData("1role")]
    public async Task A_role_claim_that_is_not_a_safe_role_name_is_refused(string role)
    {
        var token = _tokens.Hs256(new Dictionary<string, object> { ["sub"] = "u", ["role"] = role });
        Assert.Contains("role", await Refused(Validator(), token, ErrorCodes.InvalidToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_role_claim_that_is_not_a_string_is_refused()
    {
        await Refused(Validator(), _tokens.Hs256(new Dictionary<string, object> { ["role"] = new[] { "a", "b" } }), ErrorCodes.InvalidToken);
        await Refused(Validator(), _tokens.Hs256(new Dictionary<string, object> { ["role"] = 5 }), ErrorCodes.InvalidToken);
    }

    [Fact]
    public async Task Duplicate_claim_names_are_refused()
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"HS256","typ":"JWT"}""");
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var payload = Base64UrlEncoder.Encode($$"""{"sub":"u","role":"anon","role":"admin","exp":{{exp}}}""");
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(TestTokens.Secret));
        var signature = Base64UrlEncoder.Encode(hmac.ComputeHash(Encoding.ASCII.GetBytes(header + "." + payload)));
        await Refused(Validator(), $"{header}.{payload}.{signature}", ErrorCodes.InvalidToken);
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("....")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0")]
    public async Task Garbage_is_refused_as_invalid_token(string token)
    {
        await Refused(Validator(), token, ErrorCodes.InvalidToken);
    }

    [Fact]
    public async Task An_oversized_token_is_refused_without_parsing()
    {
        await Refused(Validator(), new string('a', TokenValidator.MaxTokenLength + 1), ErrorCodes.InvalidToken);
    }

    [Fact]
    public async Task Without_a_token_the_connection_is_anonymous_or_refused_by_configuration()
    {
        var anonymous = await Validator(options => options.AnonymousRole = "guest").AuthenticateAsync(null, CancellationToken.None);
        Assert.True(anonymous.Succeeded);
        Assert.Equal("guest", anonymous.Identity.Role);
        Assert.True(anonymous.Identity.IsAnonymous);
        Assert.Null(anonymous.Identity.ExpiresAt);
        Assert.Equal("""{"role":"guest"}""", anonymous.Identity.ClaimsJson);

        await Refused(Validator(options => options.AllowAnonymous = false), null, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task Without_configured_keys_every_token_is_refused()
    {
        var options = new AuthOptions();
        var validator = new TokenValidator(Options.Create(options), SigningKeys.Create(options), NullLogger<TokenValidator>.Instance);
        Assert.Contains("no JWT secret", await Refused(validator, _tokens.Hs256(), ErrorCodes.InvalidToken), StringComparison.Ordinal);
        Assert.True((await validator.AuthenticateAsync(null, CancellationToken.None)).Succeeded);
    }

    public void Dispose() => _tokens.Dispose();
}
