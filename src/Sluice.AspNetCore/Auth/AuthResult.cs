using System.Diagnostics.CodeAnalysis;

namespace Sluice.Server.Auth;

/// <summary>The outcome of checking a token: an identity, or a stable error code with a message safe to show the client.</summary>
internal sealed record AuthResult(ConnectionIdentity? Identity, string? ErrorCode, string? ErrorMessage)
{
    [MemberNotNullWhen(true, nameof(Identity))]
    [MemberNotNullWhen(false, nameof(ErrorCode), nameof(ErrorMessage))]
    public bool Succeeded => Identity is not null;

    public static AuthResult Success(ConnectionIdentity identity) => new(identity, null, null);

    public static AuthResult Failure(string code, string message) => new(null, code, message);
}
