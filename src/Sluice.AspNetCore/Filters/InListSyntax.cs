using System.Text;

namespace Sluice.Server.Filters;

/// <summary>
/// Splits the list of an <c>in.(a, b, "c,d")</c> filter. Unquoted items are trimmed and may not contain
/// ',', '(', ')' or '"'; double-quoted items are kept exactly, with backslash escaping the next character.
/// </summary>
internal static class InListSyntax
{
    public static bool TrySplit(string list, int maxItems, out List<string> items, out string? error)
    {
        items = [];
        error = null;
        if (list.Length < 2 || list[0] != '(' || list[^1] != ')')
        {
            error = $"in-list \"{list}\" must be enclosed in parentheses, like in.(1,2,3)";
            return false;
        }

        var pos = 1;
        var end = list.Length - 1;
        if (list.AsSpan(1, end - 1).IsWhiteSpace())
        {
            error = "in-list is empty";
            return false;
        }

        while (true)
        {
            SkipSpace(list, ref pos, end);
            string item;
            if (pos < end && list[pos] == '"')
            {
                if (!TryReadQuoted(list, ref pos, end, out item))
                {
                    error = $"unterminated quoted value in in-list \"{list}\"";
                    return false;
                }

                SkipSpace(list, ref pos, end);
            }
            else
            {
                var start = pos;
                while (pos < end && list[pos] != ',')
                {
                    if (list[pos] is '(' or ')' or '"')
                    {
                        error = $"unexpected '{list[pos]}' in in-list \"{list}\"; double-quote values that contain it";
                        return false;
                    }

                    pos++;
                }

                item = list[start..pos].TrimEnd();
                if (item.Length == 0)
                {
                    error = $"empty value in in-list \"{list}\"; write \"\" for an empty string";
                    return false;
                }
            }

            if (items.Count == maxItems)
            {
                error = $"in-list has more than {maxItems} values";
                return false;
            }

            items.Add(item);
            if (pos == end)
                return true;
            if (list[pos] != ',')
            {
                error = $"expected ',' after a quoted value in in-list \"{list}\"";
                return false;
            }

            pos++;
        }
    }

    private static bool TryReadQuoted(string list, ref int pos, int end, out string item)
    {
        var builder = new StringBuilder();
        pos++;
        while (pos < end)
        {
            var c = list[pos++];
            if (c == '"')
            {
                item = builder.ToString();
                return true;
            }

            if (c == '\\' && pos < end)
                c = list[pos++];
            builder.Append(c);
        }

        item = "";
        return false;
    }

    private static void SkipSpace(string list, ref int pos, int end)
    {
        while (pos < end && char.IsWhiteSpace(list[pos]))
            pos++;
    }
}
