using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Sluice.Protocol;
using Sluice.Server.Auth;

namespace Sluice.Tests.Auth;

/// <summary>
/// Issue 15, item 9: the token rules of RFC 7515/7519 that the token library leaves to its caller, and key selection when
/// both a secret and a JWKS are configured.
/// </summary>
public sealed class TokenEdgeCaseTests : IDisposable
{
    private readonly TestTokens _tokens = new();

    private TokenValidator Validator()
    {
        var options = new AuthOptions { JwtSecret = TestTokens.Secret, Jwks = _tokens.JwksPath, ClockSkew = TimeSpan.Zero };
        return new TokenValidator(Options.Create(options), SigningKeys.Create(options), NullLogger<TokenValidator>.Instance);
    }

    private static long InAnHour => DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();

    [Theory]
    [InlineData("rsa-1")]
    [InlineData("ec-1")]
    [InlineData("no-such-key")]
    public async Task An_hs256_token_signed_with_the_secret_is_accepted_whatever_kid_it_names(string kid)
    {
        var token = TestTokens.Create(new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(TestTokens.Secret)) { KeyId = kid });
        var result = await Validator().ValidateAsync(token, CancellationToken.None);
        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
    }

    [Fact]
    public async Task An_rs256_token_naming_its_key_still_validates_and_a_wrong_key_still_fails()
    {
        Assert.True((await Validator().ValidateAsync(TestTokens.Create(_tokens.RsaKey, SecurityAlgorithms.RsaSha256), CancellationToken.None)).Succeeded);
        // Signed with the secret, but claiming RS256: no RSA key verifies an HMAC.
        var forged = TestTokens.RawHs256("""{"alg":"RS256","typ":"JWT","kid":"rsa-1"}""", $$"""{"sub":"u","exp":{{InAnHour}}}""");
        var result = await Validator().ValidateAsync(forged, CancellationToken.None);
        Assert.False(result.Succeeded);
        Assert.Equal(ErrorCodes.InvalidToken, result.ErrorCode);
    }

    [Theory]
    [InlineData("""["x-unknown"]""")]
    [InlineData("""["exp"]""")]
    [InlineData("[]")]
    public async Task A_token_with_a_crit_header_is_refused(string crit)
    {
        var token = TestTokens.RawHs256($$"""{"alg":"HS256","typ":"JWT","crit":{{crit}},"x-unknown":1}""", $$"""{"sub":"u","exp":{{InAnHour}}}""");
        var result = await Validator().ValidateAsync(token, CancellationToken.None);
        Assert.False(result.Succeeded, "a crit header names extensions this server does not understand");
        Assert.Equal(ErrorCodes.InvalidToken, result.ErrorCode);
        Assert.Contains("crit", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("exp", "\"{0}\"")]
    [InlineData("exp", "{0}.5e0")]
    [InlineData("nbf", "\"1\"")]
    [InlineData("iat", "\"1\"")]
    [InlineData("exp", "true")]
    public async Task Time_claims_that_are_not_json_numbers_are_refused(string claim, string json)
    {
        var value = string.Format(System.Globalization.CultureInfo.InvariantCulture, json, InAnHour);
        var payload = claim == "exp" ? $$"""{"sub":"u","exp":{{value}}}""" : $$"""{"sub":"u","exp":{{InAnHour}},"{{claim}}":{{value}}}""";
        var result = await Validator().ValidateAsync(TestTokens.RawHs256("""{"alg":"HS256","typ":"JWT"}""", payload), CancellationToken.None);
        if (json == "{0}.5e0")
        {
            // A fractional NumericDate is a JSON number: allowed by RFC 7519.
            Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
            return;
        }
        Assert.False(result.Succeeded, $"{claim}: {value} is not a NumericDate");
        Assert.Equal(ErrorCodes.InvalidToken, result.ErrorCode);
    }

    [Theory]
    [InlineData(253402300800L)] // 10000-01-01
    [InlineData(253402300799L)] // the last second of 9999
    [InlineData(9_000_000_000_000L)]
    public async Task A_token_expiring_after_the_year_9999_is_handled_without_overflow(long exp)
    {
        var token = TestTokens.RawHs256("""{"alg":"HS256","typ":"JWT"}""", $$"""{"sub":"u","exp":{{exp}}}""");
        var result = await Validator().ValidateAsync(token, CancellationToken.None);
        Assert.True(result.Succeeded, $"{result.ErrorCode}: {result.ErrorMessage}");
        var expiresAt = result.Identity.ExpiresAt!.Value;
        // Whatever the clock skew, the deadline arithmetic of a connection must not overflow.
        Assert.True(expiresAt + TimeSpan.FromDays(365) > DateTimeOffset.UtcNow);
    }

    public void Dispose() => _tokens.Dispose();
}
