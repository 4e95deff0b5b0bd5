using System.Security.Cryptography;
using System.Text;

namespace Sluice.Bench.Harness;

/// <summary>HS256 tokens for the scenarios that run the server with <c>--jwt-secret</c>.</summary>
public static class BenchTokens
{
    /// <summary>A token signed with <paramref name="secret"/> carrying <paramref name="claims"/> (a JSON object) and an <c>exp</c> one hour ahead.</summary>
    public static string Hs256(string secret, string claims)
    {
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var withExp = claims.TrimEnd()[..^1] + (claims.Contains(':', StringComparison.Ordinal) ? "," : "") + $"\"exp\":{exp}}}";
        var signed = Base64Url("""{"alg":"HS256","typ":"JWT"}""") + "." + Base64Url(withExp);
        return signed + "." + Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signed)));
    }

    private static string Base64Url(string text) => Base64Url(Encoding.UTF8.GetBytes(text));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
