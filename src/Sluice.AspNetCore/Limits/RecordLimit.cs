using System.Text;
using Sluice.Server.Capture;
using Sluice.Server.Routing;

namespace Sluice.Server.Limits;

/// <summary>
/// The maximum record size of a change or snapshot row, whatever the protocol. A change whose <c>record</c> and <c>old_record</c> together (UTF-8 bytes of
/// column names and values) exceed it is sent in a reduced form: the key columns whatever their size, the other values of
/// at most <see cref="SmallValueBytes"/>, and <c>too_large</c>, <c>key_columns</c> and <c>omitted_columns</c>, so the client
/// can fetch the row (<c>GET /api/tables/{schema}.{table}/rows?filter=…</c>). So one huge row never fills a connection's
/// queue (closing healthy clients) and costs every receiver a small frame instead of a huge one.
/// </summary>
internal static class RecordLimit
{
    /// <summary>The default maximum: 1 MiB, as Supabase Realtime.</summary>
    public const int DefaultMaxRecordBytes = 1024 * 1024;

    /// <summary>The largest value (UTF-8 bytes of its text) kept in a reduced record besides the key columns.</summary>
    public const int SmallValueBytes = 64;

    /// <summary>
    /// Whether the rows of <paramref name="change"/> as sent in <paramref name="shape"/> exceed <paramref name="maxRecordBytes"/>.
    /// Counting characters first settles the usual case without reading the text: UTF-8 needs at most 3 bytes per character.
    /// </summary>
    public static bool IsTooLarge(RowChange change, ChangeShape shape, int maxRecordBytes)
    {
        var (record, old) = Rows(change, shape);
        return IsTooLarge(change.Table, record, old, maxRecordBytes);
    }

    /// <summary>Whether a row (a snapshot's, say) exceeds <paramref name="maxRecordBytes"/>, counted as a change's record is.</summary>
    public static bool IsTooLarge(TableSchema table, string?[] row, int maxRecordBytes) => IsTooLarge(table, row, null, maxRecordBytes);

    /// <summary>The names of the columns a reduced <paramref name="row"/> leaves out (neither key, NULL nor small, and carried).</summary>
    public static string[] OmittedColumns(TableSchema table, string?[] row)
    {
        var omitted = new List<string>();
        var columns = table.Columns;
        for (var i = 0; i < columns.Length && i < row.Length; i++)
        {
            if (!RowValues.IsUnavailable(row[i]) && !Keeps(table, i, row[i]))
                omitted.Add(columns[i].Name);
        }
        return [.. omitted];
    }

    private static bool IsTooLarge(TableSchema table, string?[]? record, string?[]? old, int maxRecordBytes) =>
        3 * (Size(table, record, utf8: false) + Size(table, old, utf8: false)) > maxRecordBytes
        && Size(table, record, utf8: true) + Size(table, old, utf8: true) > maxRecordBytes;

    /// <summary>Whether a value stays in a reduced record: a key column, NULL, or a small value.</summary>
    public static bool Keeps(TableSchema table, int column, string? value) =>
        value is null || value.Length <= SmallValueBytes && Encoding.UTF8.GetByteCount(value) <= SmallValueBytes
        || table.KeyColumns.Contains(table.Columns[column].Name);

    /// <summary>The rows a frame of <paramref name="change"/> in <paramref name="shape"/> carries.</summary>
    internal static (string?[]? Record, string?[]? Old) Rows(RowChange change, ChangeShape shape) =>
        (shape == ChangeShape.AsDelete ? null : change.NewValues, shape == ChangeShape.WithoutOld ? null : change.OldValues);

    private static long Size(TableSchema table, string?[]? values, bool utf8)
    {
        if (values is null)
            return 0;
        long bytes = 0;
        var columns = table.Columns;
        for (var i = 0; i < columns.Length && i < values.Length; i++)
        {
            var value = values[i];
            if (RowValues.IsUnavailable(value))
                continue;
            bytes += utf8
                ? Encoding.UTF8.GetByteCount(columns[i].Name) + (value is null ? 4 : Encoding.UTF8.GetByteCount(value))
                : columns[i].Name.Length + (value?.Length ?? 4);
        }
        return bytes;
    }
}
