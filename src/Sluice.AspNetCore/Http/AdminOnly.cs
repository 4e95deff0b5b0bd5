namespace Sluice.Server.Http;

/// <summary>Endpoint metadata: only operators may call this endpoint (see <see cref="AdminAccess"/>).</summary>
/// <param name="OpenWithoutToken">Open to everyone when no admin token is configured (else loopback clients only).</param>
internal sealed record AdminOnly(bool OpenWithoutToken);
