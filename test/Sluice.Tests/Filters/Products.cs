using Sluice.Server.Capture;
using Sluice.Server.Filters;

namespace Sluice.Tests.Filters;

/// <summary>A test table with one column of every kind, and rows that set one column.</summary>
internal static class Products
{
    public static readonly TableSchema Table = new(16384, "public", "products",
    [
        Column("id", 20),
        Column("name", 25),
        Column("price", 1700),
        Column("ratio", 701),
        Column("active", 16),
        Column("created_at", 1184),
        Column("local_at", 1114),
        Column("day", 1082),
        Column("at_time", 1083),
        Column("at_timetz", 1266),
        Column("uid", 2950),
        Column("tags", 1009),
        Column("meta", 3802),
        Column("Name", 25),
    ]);

    public static RowFilter Filter(string text)
    {
        Assert.True(RowFilter.TryParse(text, Table, out var filter, out var error), error);
        return filter;
    }

    public static string Error(string text)
    {
        Assert.False(RowFilter.TryParse(text, Table, out var filter, out var error));
        Assert.Null(filter);
        return error;
    }

    /// <summary>A row whose <paramref name="column"/> holds <paramref name="value"/> and every other column is NULL.</summary>
    public static string?[] RowWith(string column, string? value)
    {
        var row = new string?[Table.Columns.Length];
        row[Table.IndexOf(column)] = value;
        return row;
    }

    private static TableColumn Column(string name, uint oid)
    {
        BuiltinTypes.TryResolve(oid, out var type);
        return new TableColumn(name, type, name == "id");
    }
}
