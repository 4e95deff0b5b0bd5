using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sluice.Protocol;

namespace Sluice.Server.Auth;

/// <summary>
/// Turns a token (or its absence) into a <see cref="ConnectionIdentity"/>, or into a stable error code with a
/// message that names the problem without echoing the token. Never throws for bad input.
/// </summary>
internal sealed partial class TokenValidator(IOptions<AuthOptions> options, SigningKeys keys, ILogger<TokenValidator> logger)
{
    /// <summary>Longest token accepted, in characters.</summary>
    public const int MaxTokenLength = 16 * 1024;

    private readonly AuthOptions _options = options.Value;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, MaximumTokenSizeInBytes = MaxTokenLength };

    /// <summary>The identity of a new connection: anonymous without a token (when allowed), else the token's.</summary>
    public Task<AuthResult> AuthenticateAsync(string? token, CancellationToken cancellationToken)
    {
        if (token is not null)
            return ValidateAsync(token, cancellationToken);
        return Task.FromResult(_options.AllowAnonymous
            ? AuthResult.Success(ConnectionIdentity.Anonymous(_options.AnonymousRole))
            : AuthResult.Failure(ErrorCodes.Unauthorized, "this server requires a token: connect with ?token=JWT or an Authorization: Bearer header"));
    }

    /// <summary>Validates a token: signature, algorithm, lifetime, issuer and audience, then the role claim.</summary>
    public async Task<AuthResult> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (!keys.IsConfigured)
            return AuthResult.Failure(ErrorCodes.InvalidToken, "this server has no JWT secret or JWKS configured and cannot accept tokens; connect without one");
        if (token.Length > MaxTokenLength)
            return AuthResult.Failure(ErrorCodes.InvalidToken, $"the token is longer than {MaxTokenLength} characters");

        TokenValidationResult result;
        try
        {
            result = await _handler.ValidateTokenAsync(token, await ParametersAsync(cancellationToken));
            if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException && keys.CanRefresh)
            {
                keys.RequestRefresh();
                result = await _handler.ValidateTokenAsync(token, await ParametersAsync(cancellationToken));
            }
        }
        catch (SigningKeysUnavailableException ex)
        {
            // The JWKS URL could not be fetched: the server's problem, not the token's.
            LogKeysUnavailable(ex.InnerException ?? ex);
            return AuthResult.Failure(ErrorCodes.AuthUnavailable, "the server could not load its signing keys; try again later");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The handler reports problems in its result; anything thrown is unexpected. Fail closed.
            LogValidationFailed(ex);
            return AuthResult.Failure(ErrorCodes.InvalidToken, "the token could not be validated");
        }
        if (!result.IsValid)
            return AuthResult.Failure(CodeFor(result.Exception), Describe(result.Exception));
        return ToIdentity((JsonWebToken)result.SecurityToken);
    }

    private async ValueTask<TokenValidationParameters> ParametersAsync(CancellationToken cancellationToken)
    {
        var signingKeys = await keys.GetAsync(cancellationToken);
        return Parameters(signingKeys);
    }

    private TokenValidationParameters Parameters(IReadOnlyList<SecurityKey> signingKeys) => new()
    {
        IssuerSigningKeys = signingKeys,
        // The keys that fit the token's algorithm: an HS256 token is checked with the secret whatever its kid names.
        IssuerSigningKeyResolver = (_, token, kid, _) => SigningKeys.ForAlgorithm(signingKeys, ((JsonWebToken)token).Alg, kid),
        ValidAlgorithms = keys.Algorithms,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = _options.ClockSkew,
        ValidateIssuer = !string.IsNullOrEmpty(_options.Issuer),
        ValidIssuer = _options.Issuer,
        ValidateAudience = !string.IsNullOrEmpty(_options.Audience),
        ValidAudience = _options.Audience,
        TryAllIssuerSigningKeys = true,
    };

    private AuthResult ToIdentity(JsonWebToken token)
    {
        // RFC 7515 §4.1.11: a crit header names extensions the recipient must understand; this server understands none.
        if (token.TryGetHeaderValue<object>("crit", out _))
            return AuthResult.Failure(ErrorCodes.InvalidToken, "the token's crit header names extensions this server does not support");

        string claims;
        try
        {
            var payload = Base64UrlEncoder.DecodeBytes(token.EncodedPayload);
            if (NumericDates.FirstInvalid(payload) is { } claim)
                return AuthResult.Failure(ErrorCodes.InvalidToken, $"the token's \"{claim}\" claim is not a NumericDate (a JSON number of seconds)");
            claims = ClaimsJson.Canonicalize(payload);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return AuthResult.Failure(ErrorCodes.InvalidToken, "the token's claims are not a JSON object with unique names");
        }

        var role = _options.AuthenticatedRole;
        if (token.TryGetPayloadValue<object>(_options.RoleClaim, out var roleValue) && roleValue is not null)
        {
            if (roleValue is not string roleText || !RoleName.IsSafe(roleText))
                return AuthResult.Failure(ErrorCodes.InvalidToken, $"the token's \"{_options.RoleClaim}\" claim is not a role name of {RoleName.Rule}");
            role = roleText;
        }
        var subject = token.TryGetPayloadValue<object>("sub", out var sub) && sub is string text ? text : null;
        return AuthResult.Success(new ConnectionIdentity(role, claims, subject, NumericDates.ClampExpiry(token.ValidTo)));
    }

    private static string CodeFor(Exception? exception) =>
        exception is SecurityTokenExpiredException ? ErrorCodes.TokenExpired : ErrorCodes.InvalidToken;

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "the token has expired; get a new one",
        SecurityTokenNotYetValidException => "the token is not valid yet (nbf is in the future)",
        SecurityTokenNoExpirationException => "the token has no exp claim; Sluice accepts only tokens that expire",
        SecurityTokenInvalidAlgorithmException => "the token's signing algorithm is not accepted here",
        SecurityTokenSignatureKeyNotFoundException => "the token is signed with a key this server does not know",
        SecurityTokenInvalidSignatureException => "the token's signature is missing or invalid",
        SecurityTokenInvalidIssuerException => "the token's issuer (iss) is not the configured one",
        SecurityTokenInvalidAudienceException => "the token's audience (aud) does not include the configured one",
        SecurityTokenMalformedException or ArgumentException => "the token is not a well-formed JWT",
        _ => "the token was rejected",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "The JWKS could not be fetched; tokens cannot be validated until it can")]
    private partial void LogKeysUnavailable(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token validation failed unexpectedly; the token was refused")]
    private partial void LogValidationFailed(Exception exception);
}
