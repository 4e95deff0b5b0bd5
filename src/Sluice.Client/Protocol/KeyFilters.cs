using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sluice.Client.Protocol;

/// <summary>Filters that find one row by its key, in the server's filter syntax.</summary>
internal static class KeyFilters
{
    /// <summary><c>a=eq.1,b=eq."x"</c> from the key columns' values in <paramref name="row"/>; null when one is missing or not a scalar.</summary>
    public static string? For(IReadOnlyList<string> keyColumns, JsonElement? row)
    {
        if (keyColumns.Count == 0 || row is not { ValueKind: JsonValueKind.Object } values)
            return null;
        var filter = new StringBuilder();
        foreach (var column in keyColumns)
        {
            if (!values.TryGetProperty(column, out var value))
                return null;
            var text = value.ValueKind switch
            {
                JsonValueKind.Number => value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.String => Quote(value.GetString()!),
                _ => null,
            };
            if (text is null)
                return null;
            if (filter.Length > 0)
                filter.Append(',');
            filter.Append(CultureInfo.InvariantCulture, $"{column}=eq.{text}");
        }
        return filter.ToString();
    }

    /// <summary>A value in double quotes, with backslash before quotes and backslashes: taken exactly as written.</summary>
    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
