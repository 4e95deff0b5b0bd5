using Microsoft.Extensions.Primitives;
using Sluice.Protocol;

namespace Sluice.Server.Auth;

/// <summary>Finds the token of a WebSocket upgrade request: <c>?token=</c> (the Fluxbase protocol) or <c>Authorization: Bearer</c>.</summary>
internal static class RequestToken
{
    /// <summary>
    /// The token, or null when the request has none (an empty <c>?token=</c> counts as none). False with an error
    /// when the request is ambiguous: several <c>token</c> parameters, or a query token and a different Bearer token.
    /// </summary>
    public static bool TryRead(HttpRequest request, out string? token, out AuthResult? error)
    {
        token = null;
        error = null;
        var query = request.Query["token"];
        if (query.Count > 1)
        {
            error = AuthResult.Failure(ErrorCodes.InvalidToken, "more than one token parameter");
            return false;
        }
        var fromQuery = query.Count == 1 && !string.IsNullOrEmpty(query[0]) ? query[0] : null;
        var fromHeader = Bearer(request.Headers.Authorization);
        if (fromQuery is not null && fromHeader is not null && !string.Equals(fromQuery, fromHeader, StringComparison.Ordinal))
        {
            error = AuthResult.Failure(ErrorCodes.InvalidToken, "the token parameter and the Authorization header carry different tokens");
            return false;
        }
        token = fromQuery ?? fromHeader;
        return true;
    }

    private static string? Bearer(StringValues authorization)
    {
        foreach (var value in authorization)
        {
            if (value is not null && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && value.AsSpan(7).Trim().Length > 0)
                return value[7..].Trim();
        }
        return null;
    }
}
