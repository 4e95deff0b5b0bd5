using System.Text.RegularExpressions;

namespace Sluice.Server.Observability;

/// <summary>
/// Removes what must never reach a log: JSON Web Tokens wherever they appear, the values of a request's query string
/// (clients pass <c>?token=</c>, <c>?apikey=</c>, <c>?access_token=</c> there) and credential-like parameters in any text.
/// </summary>
internal static partial class SecretText
{
    public const string Redacted = "[redacted]";

    /// <summary><paramref name="text"/> with JWTs and credential parameters replaced by <see cref="Redacted"/>; the same instance when clean.</summary>
    public static string Redact(string text)
    {
        if (text.Length == 0)
            return text;
        var redacted = Jwt().Replace(text, Redacted);
        return CredentialParameter().Replace(redacted, static match => match.Groups["name"].Value + "=" + Redacted);
    }

    /// <summary>A query string (<c>?a=1&amp;b=2</c>) with every value replaced: <c>?a=[redacted]&amp;b=[redacted]</c>.</summary>
    public static string RedactQuery(string query) =>
        query.Length == 0 ? query : QueryValue().Replace(query, static match => match.Groups["name"].Value + "=" + Redacted);

    // A JWS/JWE in compact form starts with the base64url of '{"' (header): eyJ…, then dot-separated parts.
    [GeneratedRegex(@"eyJ[A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]*)*")]
    private static partial Regex Jwt();

    [GeneratedRegex(@"(?<name>[?&;\s]?(token|apikey|api_key|access_token|refresh_token|user_token|jwt|password|secret|admin[-_]?token))=(?<value>[^&\s""']*)", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialParameter();

    [GeneratedRegex(@"(?<name>[?&][^=&]*)=(?<value>[^&]*)")]
    private static partial Regex QueryValue();
}
