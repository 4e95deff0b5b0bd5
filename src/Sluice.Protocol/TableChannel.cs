using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Sluice.Protocol;

/// <summary>
/// A channel of the form <c>table:{schema}.{table}</c>. Names are exact catalog names (case-sensitive,
/// not folded); a name containing a dot or a double quote is written in double quotes with quotes doubled,
/// as in SQL: <c>table:public."odd.name"</c>.
/// </summary>
public sealed record TableChannel(string Schema, string Table)
{
    /// <summary>The prefix of table channels.</summary>
    public const string Prefix = "table:";

    /// <summary>PostgreSQL's identifier limit (NAMEDATALEN - 1), in UTF-8 bytes.</summary>
    public const int MaxIdentifierBytes = 63;

    /// <summary>The longest channel name accepted, in characters.</summary>
    public const int MaxChannelLength = 512;

    /// <summary>The channel name in its canonical form.</summary>
    public override string ToString() => Prefix + Quote(Schema) + "." + Quote(Table);

    /// <summary>Whether <paramref name="channel"/> names a table channel at all (has the prefix).</summary>
    public static bool HasPrefix(string channel) => channel.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Parses a table channel name, explaining what is wrong when it cannot.</summary>
    public static bool TryParse(string channel, [NotNullWhen(true)] out TableChannel? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (channel.Length > MaxChannelLength)
        {
            error = $"channel name is longer than {MaxChannelLength} characters";
            return false;
        }
        if (!HasPrefix(channel))
        {
            error = "channel must look like table:{schema}.{table}";
            return false;
        }
        var position = Prefix.Length;
        if (!TryReadIdentifier(channel, ref position, out var schema, out error))
            return false;
        if (position >= channel.Length || channel[position] != '.')
        {
            error = "channel must look like table:{schema}.{table}: missing '.' between schema and table";
            return false;
        }
        position++;
        if (!TryReadIdentifier(channel, ref position, out var table, out error))
            return false;
        if (position != channel.Length)
        {
            error = "unexpected characters after the table name (quote names that contain '.' or '\"')";
            return false;
        }
        result = new TableChannel(schema, table);
        return true;
    }

    private static bool TryReadIdentifier(string text, ref int position, [NotNullWhen(true)] out string? identifier, [NotNullWhen(false)] out string? error)
    {
        identifier = null;
        var builder = new StringBuilder();
        if (position < text.Length && text[position] == '"')
        {
            position++;
            while (true)
            {
                if (position >= text.Length)
                {
                    error = "unterminated quoted name in channel";
                    return false;
                }
                var c = text[position++];
                if (c == '"')
                {
                    if (position < text.Length && text[position] == '"')
                    {
                        builder.Append('"');
                        position++;
                        continue;
                    }
                    break;
                }
                builder.Append(c);
            }
        }
        else
        {
            while (position < text.Length && text[position] is not ('.' or '"'))
                builder.Append(text[position++]);
        }

        identifier = builder.ToString();
        return IsValidIdentifier(identifier, out error);
    }

    private static bool IsValidIdentifier(string identifier, [NotNullWhen(false)] out string? error)
    {
        if (identifier.Length == 0)
        {
            error = "empty schema or table name in channel";
            return false;
        }
        foreach (var c in identifier)
        {
            if (char.IsControl(c))
            {
                error = "control characters are not allowed in channel names";
                return false;
            }
        }
        if (Encoding.UTF8.GetByteCount(identifier) > MaxIdentifierBytes)
        {
            error = $"a schema or table name is longer than PostgreSQL's {MaxIdentifierBytes}-byte limit";
            return false;
        }
        error = null;
        return true;
    }

    private static string Quote(string identifier) =>
        identifier.AsSpan().IndexOfAny('.', '"') >= 0 ? "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : identifier;
}
