using System.Diagnostics.CodeAnalysis;

namespace Sluice.Protocol;

/// <summary>
/// A room channel: <c>room:&lt;name&gt;</c>, where the name is 1–200 characters of <c>A–Z a–z 0–9 _ - . : @</c>.
/// Rooms carry client broadcasts and presence instead of table changes (see docs/rooms.md). The same room is the
/// Supabase topic <c>realtime:&lt;name&gt;</c>.
/// </summary>
public static class RoomChannels
{
    /// <summary>The prefix of room channels on the native protocol.</summary>
    public const string Prefix = "room:";

    /// <summary>The prefix of the same room as a Supabase topic.</summary>
    public const string SupabasePrefix = "realtime:";

    /// <summary>The longest room name, in characters.</summary>
    public const int MaxNameLength = 200;

    /// <summary>The longest broadcast <c>event</c> name, in characters.</summary>
    public const int MaxEventLength = 100;

    /// <summary>The longest broadcast <c>ref</c>, in characters.</summary>
    public const int MaxRefLength = 100;

    /// <summary>The longest presence <c>key</c>, in characters.</summary>
    public const int MaxPresenceKeyLength = 100;

    /// <summary>Whether <paramref name="channel"/> names a room channel (has the <c>room:</c> prefix).</summary>
    public static bool HasPrefix(string channel) => channel.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The native channel name of room <paramref name="name"/>.</summary>
    public static string ForName(string name) => Prefix + name;

    /// <summary>Parses <c>room:&lt;name&gt;</c> into the room's name, explaining what is wrong when it cannot.</summary>
    public static bool TryParse(string channel, [NotNullWhen(true)] out string? name, [NotNullWhen(false)] out string? error)
    {
        name = null;
        if (!HasPrefix(channel))
        {
            error = "channel must look like room:<name>";
            return false;
        }
        var candidate = channel[Prefix.Length..];
        if (!IsValidName(candidate, out error))
            return false;
        name = candidate;
        return true;
    }

    /// <summary>Whether <paramref name="name"/> is a valid room name (without prefix).</summary>
    public static bool IsValidName(string name, [NotNullWhen(false)] out string? error)
    {
        if (name.Length == 0)
        {
            error = "the room name is empty";
            return false;
        }
        if (name.Length > MaxNameLength)
        {
            error = $"the room name is longer than {MaxNameLength} characters";
            return false;
        }
        foreach (var c in name)
        {
            if (!IsNameCharacter(c))
            {
                error = "a room name may contain only A-Z, a-z, 0-9 and _ - . : @";
                return false;
            }
        }
        error = null;
        return true;
    }

    /// <summary>Whether <paramref name="c"/> may appear in a room name.</summary>
    public static bool IsNameCharacter(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' or '.' or ':' or '@';
}
