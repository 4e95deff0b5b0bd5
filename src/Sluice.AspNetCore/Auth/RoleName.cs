using System.Text.RegularExpressions;

namespace Sluice.Server.Auth;

/// <summary>
/// The rule for database role names taken from configuration or tokens: a plain identifier that
/// <c>SET LOCAL ROLE</c> can use without any quoting ambiguity, and none of PostgreSQL's reserved <c>pg_</c> roles.
/// </summary>
internal static partial class RoleName
{
    /// <summary>What a valid role name looks like, for error messages.</summary>
    public const string Rule = "1-63 characters of A-Z, a-z, 0-9 and _, not starting with a digit or pg_";

    public static bool IsSafe(string? name) =>
        name is not null && Identifier().IsMatch(name) && !name.StartsWith("pg_", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
