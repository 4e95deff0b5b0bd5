using System.Text.Json;
using Sluice.Server.Limits;

namespace Sluice.Server.Capture;

/// <summary>
/// A row as a JSON object of column name to value: the shape every protocol and <c>GET /rows</c> carry rows in (the
/// protocols wrap it in their frames).
/// </summary>
internal static class RowJson
{
    /// <summary>Writes a row as a JSON object; values the WAL did not carry are left out, and with <paramref name="reduced"/> all but key columns and small values.</summary>
    public static void Write(Utf8JsonWriter writer, TableSchema table, string?[] values, bool reduced = false)
    {
        writer.WriteStartObject();
        var columns = table.Columns;
        for (var i = 0; i < columns.Length && i < values.Length; i++)
        {
            var value = values[i];
            if (RowValues.IsUnavailable(value) || reduced && !RecordLimit.Keeps(table, i, value))
                continue;
            writer.WritePropertyName(columns[i].JsonName);
            if (value is null)
                writer.WriteNullValue();
            else
                PgValueJson.Write(writer, columns[i].Type, value);
        }
        writer.WriteEndObject();
    }
}
