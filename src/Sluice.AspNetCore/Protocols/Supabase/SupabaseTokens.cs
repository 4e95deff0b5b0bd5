using System.Text.Json;
using Sluice.Server.Auth;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// Which token a Supabase connection acts under: the socket's <c>apikey</c>, replaced by a
/// join's <c>access_token</c> (or legacy <c>user_token</c>) and by <c>access_token</c> events. Tokens are validated with the
/// server's <see cref="TokenValidator"/>. Values starting with <c>sb_</c> (Supabase's opaque keys) mean "the socket token".
/// On a server without signing keys every token is ignored and the connection is anonymous (when that is allowed).
/// </summary>
internal sealed class SupabaseTokens(TokenValidator validator, bool keysConfigured)
{
    private AuthResult? _socket;
    private string? _current;

    /// <summary>The identity of the socket itself, from <c>?apikey=</c>.</summary>
    public async Task<AuthResult> ForConnectAsync(string apiKey, CancellationToken cancellationToken)
    {
        _socket = keysConfigured && !IsOpaqueKey(apiKey)
            ? await validator.ValidateAsync(apiKey, cancellationToken)
            : await validator.AuthenticateAsync(null, cancellationToken);
        _current = apiKey;
        return _socket;
    }

    /// <summary>The identity a join asks for: its <c>access_token</c>, else the socket's.</summary>
    public async Task<AuthResult> ForJoinAsync(JsonElement joinPayload, CancellationToken cancellationToken)
    {
        var token = Token(joinPayload, "access_token") ?? Token(joinPayload, "user_token");
        if (token is null || !keysConfigured)
            return _socket!;
        var result = await validator.ValidateAsync(token, cancellationToken);
        if (result.Succeeded)
            _current = token;
        return result;
    }

    /// <summary>
    /// The identity of an <c>access_token</c> event; null when the event changes nothing (no token, an <c>sb_</c> key,
    /// the current token, or a server without signing keys).
    /// </summary>
    public async Task<AuthResult?> ForRefreshAsync(JsonElement payload, CancellationToken cancellationToken)
    {
        var token = Token(payload, "access_token");
        if (token is null || token == _current || !keysConfigured)
            return null;
        var result = await validator.ValidateAsync(token, cancellationToken);
        if (result.Succeeded)
            _current = token;
        return result;
    }

    private static bool IsOpaqueKey(string token) => token.StartsWith("sb_", StringComparison.Ordinal);

    private static string? Token(JsonElement payload, string name) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && value.GetString() is { Length: > 0 } token && !IsOpaqueKey(token)
            ? token
            : null;
}
