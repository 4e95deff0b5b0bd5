using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Sluice.Server.Capture;

/// <summary>A table as described by the latest pgoutput Relation message.</summary>
internal sealed class TableSchema
{
    private readonly FrozenDictionary<string, int> _ordinals;

    public TableSchema(uint relationId, string schema, string name, ImmutableArray<TableColumn> columns)
    {
        RelationId = relationId;
        Schema = schema;
        Name = name;
        Columns = columns;
        var ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Length; i++)
            ordinals.TryAdd(columns[i].Name, i);
        _ordinals = ordinals.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public uint RelationId { get; }
    public string Schema { get; }
    public string Name { get; }
    public ImmutableArray<TableColumn> Columns { get; }

    /// <summary>
    /// The columns that identify a row, for a client to fetch it again (a record too large to send whole): the primary
    /// key, else the replica identity when it is an index (not FULL); empty when neither tells.
    /// </summary>
    public ImmutableArray<string> KeyColumns => _keyColumns ??= FindKeyColumns(Columns);

    private ImmutableArray<string>? _keyColumns;

    private static ImmutableArray<string> FindKeyColumns(ImmutableArray<TableColumn> columns)
    {
        var primary = ImmutableArray.CreateBuilder<string>();
        var identity = ImmutableArray.CreateBuilder<string>();
        foreach (var column in columns)
        {
            if (column.IsPrimaryKey)
                primary.Add(column.Name);
            if (column.IsKey)
                identity.Add(column.Name);
        }
        if (primary.Count > 0)
            return primary.ToImmutable();
        return identity.Count > 0 && identity.Count < columns.Length ? identity.ToImmutable() : [];
    }

    /// <summary>The position of <paramref name="column"/>, or -1.</summary>
    public int IndexOf(string column) => _ordinals.TryGetValue(column, out var i) ? i : -1;
}
