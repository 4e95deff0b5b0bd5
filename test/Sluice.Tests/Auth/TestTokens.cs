using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sluice.Tests.Auth;

/// <summary>Signing keys and tokens made with the same library the server validates with (shared by the unit and integration tests).</summary>
public sealed class TestTokens : IDisposable
{
    public const string Secret = "a-test-secret-that-is-at-least-32-bytes-long";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestTokens()
    {
        JwksPath = Path.Combine(Path.GetTempPath(), "sluice-jwks-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(JwksPath, JwksJson());
    }

    /// <summary>A JWKS file with the public halves of <see cref="RsaKey"/> and <see cref="EcKey"/>.</summary>
    public string JwksPath { get; }

    public SecurityKey HmacKey { get; } = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret));
    public SecurityKey RsaKey => new RsaSecurityKey(_rsa) { KeyId = "rsa-1" };
    public SecurityKey EcKey => new ECDsaSecurityKey(_ec) { KeyId = "ec-1" };

    /// <summary>A signed token; claims default to a subject, lifetime one hour around now.</summary>
    public static string Create(
        SecurityKey key,
        string algorithm = SecurityAlgorithms.HmacSha256,
        IDictionary<string, object>? claims = null,
        DateTime? expires = null,
        DateTime? notBefore = null,
        string? issuer = null,
        string? audience = null)
    {
        var now = DateTime.UtcNow;
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var exp = expires ?? now.AddHours(1);
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims ?? new Dictionary<string, object> { ["sub"] = "user-1" },
            Expires = exp,
            NotBefore = notBefore ?? (exp < now ? exp.AddMinutes(-10) : now.AddMinutes(-1)),
            IssuedAt = notBefore ?? (exp < now ? exp.AddMinutes(-10) : now.AddMinutes(-1)),
            Issuer = issuer,
            Audience = audience,
            SigningCredentials = new SigningCredentials(key, algorithm),
        });
    }

    /// <summary>An HS256 token with the shared <see cref="Secret"/>.</summary>
    public string Hs256(IDictionary<string, object>? claims = null, DateTime? expires = null) => Create(HmacKey, claims: claims, expires: expires);

    /// <summary>
    /// An HS256 token signed with <see cref="Secret"/> over exactly the given header and payload JSON (to build what a
    /// token library refuses to: a <c>crit</c> header, a string <c>exp</c>, an <c>exp</c> past the year 9999).
    /// </summary>
    public static string RawHs256(string headerJson, string payloadJson)
    {
        var signed = Base64UrlEncoder.Encode(headerJson) + "." + Base64UrlEncoder.Encode(payloadJson);
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes(signed));
        return signed + "." + Base64UrlEncoder.Encode(signature);
    }

    /// <summary>An unsigned token (<c>alg: none</c>) with the given payload.</summary>
    public static string Unsigned(object payload) =>
        Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""") + "." + Base64UrlEncoder.Encode(JsonSerializer.Serialize(payload)) + ".";

    /// <summary>The JSON Web Key Set written to <see cref="JwksPath"/>.</summary>
    public string JwksJson()
    {
        var rsa = _rsa.ExportParameters(includePrivateParameters: false);
        var ec = _ec.ExportParameters(includePrivateParameters: false);
        return JsonSerializer.Serialize(new
        {
            keys = new object[]
            {
                new { kty = "RSA", kid = "rsa-1", use = "sig", alg = "RS256", n = Base64UrlEncoder.Encode(rsa.Modulus), e = Base64UrlEncoder.Encode(rsa.Exponent) },
                new { kty = "EC", kid = "ec-1", use = "sig", alg = "ES256", crv = "P-256", x = Base64UrlEncoder.Encode(ec.Q.X), y = Base64UrlEncoder.Encode(ec.Q.Y) },
            },
        });
    }

    public void Dispose()
    {
        File.Delete(JwksPath);
        _rsa.Dispose();
        _ec.Dispose();
    }
}
