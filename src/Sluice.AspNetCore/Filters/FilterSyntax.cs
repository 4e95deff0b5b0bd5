using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Sluice.Server.Filters;

/// <summary>
/// The lexical rules of a filter as supabase/realtime reads them: conditions are separated by commas that are outside
/// parentheses and double quotes; a double quote opens a quoted value only right after '.', '(' or ','; inside quotes
/// a backslash makes the next character literal.
/// </summary>
internal static class FilterSyntax
{
    /// <summary>Splits <paramref name="text"/> into its conditions (start and length of each, leading whitespace of all but the first skipped).</summary>
    public static bool TrySplit(string text, int maxConditions, List<Range> conditions, [NotNullWhen(false)] out string? error)
    {
        error = null;
        var depth = 0;
        var quoted = false;
        var previous = '\0';
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '\\' && i + 1 < text.Length)
                    i++;
                else if (c == '"')
                    quoted = false;
                previous = c;
                continue;
            }

            switch (c)
            {
                case '"' when previous is '.' or '(' or ',':
                    quoted = true;
                    break;
                case '(':
                    depth++;
                    break;
                case ')' when depth > 0:
                    depth--;
                    break;
                case ',' when depth == 0:
                    if (!TryAdd(text, start, i, maxConditions, conditions, out error))
                        return false;
                    start = i + 1;
                    previous = '\0';
                    continue;
            }

            previous = c;
        }

        if (quoted)
        {
            error = $"unterminated quoted value in filter \"{Shorten(text)}\"";
            return false;
        }

        if (depth > 0)
        {
            error = $"unbalanced '(' in filter \"{Shorten(text)}\"; double-quote values that contain , ( ) \" or \\";
            return false;
        }

        return TryAdd(text, start, text.Length, maxConditions, conditions, out error);
    }

    private static bool TryAdd(string text, int start, int end, int maxConditions, List<Range> conditions, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (conditions.Count > 0)
        {
            while (start < end && char.IsWhiteSpace(text[start]))
                start++;
        }

        if (text.AsSpan(start, end - start).IsWhiteSpace())
        {
            error = $"empty condition in filter \"{Shorten(text)}\" (check for extra commas)";
            return false;
        }

        if (conditions.Count == maxConditions)
        {
            error = $"filter has more than {maxConditions} conditions";
            return false;
        }

        conditions.Add(new Range(start, end));
        return true;
    }

    /// <summary>
    /// A value written <c>"…"</c> is unquoted (backslash escapes the next character); any other value is taken exactly as
    /// written. A value that opens a quote must end with its closing quote.
    /// </summary>
    public static bool TryUnquote(string value, out string result, [NotNullWhen(false)] out string? error)
    {
        result = value;
        error = null;
        if (value.Length == 0 || value[0] != '"')
            return true;
        var builder = new StringBuilder(value.Length);
        for (var i = 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && i + 1 < value.Length)
                c = value[++i];
            else if (c == '"')
            {
                if (i != value.Length - 1)
                {
                    error = $"unexpected characters after the closing quote in value {Shorten(value)}; escape a '\"' inside quotes as \\\"";
                    return false;
                }

                result = builder.ToString();
                return true;
            }

            builder.Append(c);
        }

        error = $"unterminated quoted value {Shorten(value)}";
        return false;
    }

    public static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
}
