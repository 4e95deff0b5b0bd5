namespace Sluice.Server.Auth;

/// <summary>The JWKS URL could not be fetched (or did not hold a key set), so no token can be checked right now.</summary>
internal sealed class SigningKeysUnavailableException(Exception innerException)
    : Exception("the JWKS URL could not be fetched", innerException);
