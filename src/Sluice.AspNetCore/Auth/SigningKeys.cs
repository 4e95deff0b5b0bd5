using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Tokens;

namespace Sluice.Server.Auth;

/// <summary>
/// The keys tokens may be signed with: the HS256 secret and the keys of a JWKS file (both fixed at start-up),
/// and the keys of a JWKS URL (cached, refreshed periodically and when a token names a key not yet known).
/// </summary>
internal sealed class SigningKeys
{
    private readonly IReadOnlyList<SecurityKey> _fixedKeys;
    private readonly ConfigurationManager<JsonWebKeySet>? _remote;

    private SigningKeys(IReadOnlyList<SecurityKey> fixedKeys, ConfigurationManager<JsonWebKeySet>? remote, IReadOnlyList<string> algorithms)
    {
        _fixedKeys = fixedKeys;
        _remote = remote;
        Algorithms = algorithms;
    }

    /// <summary>The signature algorithms accepted: HS256 with a secret, RS256 and ES256 with a JWKS. Never <c>none</c>.</summary>
    public IReadOnlyList<string> Algorithms { get; }

    /// <summary>Whether any key is configured; without one every token is refused.</summary>
    public bool IsConfigured => _fixedKeys.Count > 0 || _remote is not null;

    /// <summary>Whether the keys come (partly) from a URL and can be fetched again.</summary>
    public bool CanRefresh => _remote is not null;

    /// <summary>Builds the key set from validated options; a JWKS file that cannot be read fails start-up with a clear message.</summary>
    public static SigningKeys Create(AuthOptions options)
    {
        var keys = new List<SecurityKey>();
        var algorithms = new List<string>();
        ConfigurationManager<JsonWebKeySet>? remote = null;
        if (!string.IsNullOrEmpty(options.JwtSecret))
        {
            keys.Add(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.JwtSecret)));
            algorithms.Add(SecurityAlgorithms.HmacSha256);
        }
        if (!string.IsNullOrWhiteSpace(options.Jwks))
        {
            if (AuthOptionsValidator.IsUrl(options.Jwks, out var url))
            {
                remote = new ConfigurationManager<JsonWebKeySet>(url.AbsoluteUri, new JwksRetriever(),
                    new HttpDocumentRetriever { RequireHttps = !IsLoopback(url) })
                {
                    AutomaticRefreshInterval = options.JwksRefreshInterval,
                };
            }
            else
            {
                keys.AddRange(ReadFile(options.Jwks));
            }
            algorithms.Add(SecurityAlgorithms.RsaSha256);
            algorithms.Add(SecurityAlgorithms.EcdsaSha256);
        }
        return new SigningKeys(keys, remote, algorithms);
    }

    /// <summary>
    /// The keys to validate with now (the URL's are fetched on first use and cached). Throws
    /// <see cref="SigningKeysUnavailableException"/> when the URL cannot be fetched.
    /// </summary>
    public async ValueTask<IReadOnlyList<SecurityKey>> GetAsync(CancellationToken cancellationToken)
    {
        if (_remote is null)
            return _fixedKeys;
        JsonWebKeySet set;
        try
        {
            set = await _remote.GetConfigurationAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException or ArgumentException)
        {
            throw new SigningKeysUnavailableException(ex);
        }
        var keys = new List<SecurityKey>(_fixedKeys);
        keys.AddRange(set.GetSigningKeys());
        return keys;
    }

    /// <summary>
    /// The keys a token signed with <paramref name="algorithm"/> may be checked with: the secret for HS256 (whatever
    /// <paramref name="kid"/> says: a shared secret has no key id), and for RS256/ES256 the JWKS keys named by
    /// <paramref name="kid"/> (those without an id when none is named so; all of them without a kid). An empty list
    /// means no known key fits, which makes the caller fetch a JWKS URL again.
    /// </summary>
    public static IReadOnlyList<SecurityKey> ForAlgorithm(IReadOnlyList<SecurityKey> keys, string? algorithm, string? kid)
    {
        var symmetric = algorithm is not null && algorithm.StartsWith("HS", StringComparison.Ordinal);
        var fitting = new List<SecurityKey>();
        foreach (var key in keys)
        {
            if (key is SymmetricSecurityKey == symmetric)
                fitting.Add(key);
        }
        if (symmetric || string.IsNullOrEmpty(kid))
            return fitting;
        var named = fitting.FindAll(key => string.Equals(key.KeyId, kid, StringComparison.Ordinal));
        return named.Count > 0 ? named : fitting.FindAll(key => string.IsNullOrEmpty(key.KeyId));
    }

    /// <summary>Asks for the URL's keys to be fetched again (rate-limited): a token named a key we do not know.</summary>
    public void RequestRefresh() => _remote?.RequestRefresh();

    private static IList<SecurityKey> ReadFile(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw Invalid($"Sluice:Auth:Jwks: cannot read the JWKS file \"{path}\": {ex.Message}");
        }
        IList<SecurityKey> keys;
        try
        {
            keys = new JsonWebKeySet(json).GetSigningKeys();
        }
        catch (ArgumentException ex)
        {
            throw Invalid($"Sluice:Auth:Jwks: \"{path}\" is not a JSON Web Key Set: {ex.Message}");
        }
        if (keys.Count == 0)
            throw Invalid($"Sluice:Auth:Jwks: \"{path}\" has no usable signing key (RSA or EC keys with \"use\":\"sig\" or no \"use\")");
        return keys;
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    private static OptionsValidationException Invalid(string message) =>
        new(AuthOptions.SectionName, typeof(AuthOptions), [message]);
}
