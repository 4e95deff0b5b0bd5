using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Server.Filters;

/// <summary>
/// The regular expression of a <c>match</c> / <c>imatch</c> filter: PostgreSQL's advanced regular expression syntax
/// (<c>~</c>, <c>~*</c>) run by .NET's non-backtracking engine, so matching is linear in the value's length whatever
/// the pattern (no catastrophic backtracking can stall routing).
/// </summary>
/// <remarks>
/// Translated so that it means what it means in PostgreSQL: <c>.</c> also matches a newline, <c>$</c> and <c>\Z</c>
/// only match at the very end, <c>\y</c>/<c>\Y</c> are word (non-)boundaries. Refused with a clear error (PostgreSQL
/// accepts them): back-references, lookahead and lookbehind, POSIX bracket classes such as <c>[[:alpha:]]</c>,
/// <c>[[.x.]]</c> and <c>[[=x=]]</c>, <c>\m</c>/<c>\M</c>, <c>***</c> directors and embedded options other than a
/// leading <c>(?i)</c>. Differences that remain: <c>\d</c>, <c>\w</c>, <c>\s</c> and case-insensitivity follow Unicode
/// rather than the database locale (identical for ASCII), <c>.</c> matches one UTF-16 unit (a character outside the
/// Basic Multilingual Plane counts as two), and some .NET-only syntax (<c>\p{L}</c>, named groups) is accepted.
/// </remarks>
internal static class FilterRegex
{
    public const int MaxPatternLength = 256;

    /// <summary>
    /// The most one match may take. The non-backtracking engine is linear in the value, but the automaton it builds on
    /// the way can cost seconds for some patterns on a large value: this bounds what one subscriber's filter costs the
    /// dispatcher (and so every other subscriber) per change. Also <see cref="RowFilter"/>'s budget for a whole filter.
    /// </summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>The engine's first match in a process pays for compiling its code: paid here, not inside a filter's time limit.</summary>
    static FilterRegex() =>
        _ = new Regex("a[bc]+d", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase).IsMatch("xabcdx");

    public static bool TryCreate(string pattern, bool ignoreCase, out Regex? regex, out string? error)
    {
        regex = null;
        if (pattern.Length > MaxPatternLength)
        {
            error = $"regular expression is longer than {MaxPatternLength} characters";
            return false;
        }

        if (!TryTranslate(pattern, out var translated, out error))
            return false;
        var options = RegexOptions.NonBacktracking | RegexOptions.Singleline | RegexOptions.CultureInvariant;
        if (ignoreCase)
            options |= RegexOptions.IgnoreCase;
        try
        {
            regex = new Regex(translated, options, MatchTimeout);
            return true;
        }
        catch (ArgumentException e)
        {
            error = $"invalid regular expression \"{pattern}\": {e.Message}";
            return false;
        }
        catch (NotSupportedException e)
        {
            error = $"regular expression \"{pattern}\" is not supported: {e.Message}";
            return false;
        }
    }

    /// <summary>Whether the value contains a match; <see cref="FilterTruth.Exceeded"/> when the match ran out of time.</summary>
    public static FilterTruth Matches(Regex regex, string value)
    {
        try
        {
            return regex.IsMatch(value) ? FilterTruth.True : FilterTruth.False;
        }
        catch (RegexMatchTimeoutException)
        {
            return FilterTruth.Exceeded;
        }
    }

    private static bool TryTranslate(string pattern, out string translated, out string? error)
    {
        translated = pattern;
        error = null;
        if (pattern.StartsWith("***", StringComparison.Ordinal))
            return Refuse("\"***\" directors are not supported", out error);
        var builder = new StringBuilder(pattern.Length + 8);
        var inBracket = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                if (i + 1 == pattern.Length)
                    return Refuse("invalid regular expression: invalid escape \\ sequence at the end", out error);
                var next = pattern[++i];
                if (!inBracket)
                {
                    switch (next)
                    {
                        case 'Z':
                            builder.Append(@"\z");
                            continue;
                        case 'y':
                            builder.Append(@"\b");
                            continue;
                        case 'Y':
                            builder.Append(@"\B");
                            continue;
                        case 'm' or 'M':
                            return Refuse($"\\{next} (start/end of word) is not supported; use \\y", out error);
                        case >= '1' and <= '9':
                            return Refuse("back-references are not supported", out error);
                    }
                }
                builder.Append(c).Append(next);
                continue;
            }

            if (inBracket)
            {
                if (c == '[' && i + 1 < pattern.Length && pattern[i + 1] is ':' or '.' or '=')
                    return Refuse($"POSIX bracket expressions such as [[{pattern[i + 1]}…{pattern[i + 1]}]] are not supported", out error);
                if (c == ']')
                    inBracket = false;
                builder.Append(c);
                continue;
            }

            switch (c)
            {
                case '[':
                    inBracket = true;
                    builder.Append(c);
                    // A ']' right after '[' or '[^' is a literal.
                    if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                        builder.Append(pattern[++i]);
                    if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                    {
                        builder.Append(@"\]");
                        i++;
                    }
                    break;
                case '$':
                    builder.Append(@"\z");
                    break;
                case '(' when i + 1 < pattern.Length && pattern[i + 1] == '?':
                    if (i + 2 < pattern.Length && pattern[i + 2] == ':')
                    {
                        builder.Append("(?:");
                        i += 2;
                    }
                    else if (i == 0 && pattern.AsSpan(i).StartsWith("(?i)"))
                    {
                        builder.Append("(?i)");
                        i += 3;
                    }
                    else
                        return Refuse("\"(?\" is supported only as (?:…) and a leading (?i); lookahead, lookbehind and other embedded options are not", out error);
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        translated = builder.ToString();
        return true;
    }

    private static bool Refuse(string message, out string? error)
    {
        error = message;
        return false;
    }
}
