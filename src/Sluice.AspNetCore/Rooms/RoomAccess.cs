using System.Runtime.CompilerServices;
using System.Text.Json;
using Sluice.Server.Auth;

namespace Sluice.Server.Rooms;

/// <summary>
/// Applies the private-room rules (<c>Sluice:Rooms:Private</c>). An action on a room is allowed when no rule for
/// that action covers the room's name, or when every covering rule admits the name with the connection's claims.
/// Anonymous connections are refused by every covering rule; tokens with the service role bypass the rules. Fails
/// closed: a claim a rule names that the token does not carry (or carries empty) refuses the action.
/// </summary>
internal sealed class RoomAccess
{
    private readonly (RoomPattern Pattern, RoomActions Actions)[] _rules;
    private readonly string _serviceRole;
    private readonly ConditionalWeakTable<ConnectionIdentity, Dictionary<string, string>> _claims = new();

    public RoomAccess(RoomOptions options)
    {
        _serviceRole = options.ServiceRole;
        var rules = new List<(RoomPattern, RoomActions)>();
        foreach (var rule in options.Private)
        {
            if (!RoomPattern.TryParse(rule.Pattern ?? string.Empty, out var pattern, out var error))
                throw new ArgumentException($"invalid private room pattern \"{rule.Pattern}\": {error}", nameof(options));
            if (!RoomOptionsValidator.TryParseActions(rule.Actions, out var actions, out error))
                throw new ArgumentException($"invalid private room actions: {error}", nameof(options));
            rules.Add((pattern, actions));
        }
        _rules = [.. rules];
    }

    /// <summary>Whether tokens of this identity bypass the rules (a token, not anonymous, with the service role).</summary>
    public bool IsServiceRole(ConnectionIdentity identity) =>
        !identity.IsAnonymous && string.Equals(identity.Role, _serviceRole, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="identity"/> may perform <paramref name="action"/> in room <paramref name="room"/>.</summary>
    public bool IsAllowed(ConnectionIdentity identity, string room, RoomActions action)
    {
        foreach (var (pattern, actions) in _rules)
        {
            if ((actions & action) == 0 || !pattern.Covers(room))
                continue;
            if (IsServiceRole(identity))
                return true;
            if (identity.IsAnonymous)
                return false;
            var claims = _claims.GetValue(identity, static identity => ReadClaims(identity.ClaimsJson));
            if (!pattern.Admits(room, name => claims.GetValueOrDefault(name)))
                return false;
        }
        return true;
    }

    /// <summary>Whether a rule for <paramref name="action"/> covers <paramref name="room"/> (whoever asks).</summary>
    public bool Covers(string room, RoomActions action)
    {
        foreach (var (pattern, actions) in _rules)
        {
            if ((actions & action) != 0 && pattern.Covers(room))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Whether a rule grants <paramref name="identity"/> <paramref name="action"/> in <paramref name="room"/> explicitly: a
    /// covering rule admits it (or it has the service role). A room no rule covers is not granted: what a Supabase
    /// private channel (<c>config.private</c>) needs.
    /// </summary>
    public bool IsGranted(ConnectionIdentity identity, string room, RoomActions action)
    {
        if (IsServiceRole(identity))
            return true;
        return Covers(room, action) && IsAllowed(identity, room, action);
    }

    /// <summary>Top-level claims usable in placeholders: strings as they are, numbers and booleans as their JSON text.</summary>
    public static Dictionary<string, string> ReadClaims(string claimsJson)
    {
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(claimsJson);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            return claims;
        foreach (var property in document.RootElement.EnumerateObject())
        {
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.String:
                    claims[property.Name] = property.Value.GetString()!;
                    break;
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                    claims[property.Name] = property.Value.GetRawText();
                    break;
            }
        }
        return claims;
    }
}
