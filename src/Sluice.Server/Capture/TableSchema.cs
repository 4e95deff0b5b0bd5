using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Sluice.Server.Capture;

/// <summary>A table as described by the latest pgoutput Relation message.</summary>
public sealed class TableSchema
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

    /// <summary>The position of <paramref name="column"/>, or -1.</summary>
    public int IndexOf(string column) => _ordinals.TryGetValue(column, out var i) ? i : -1;
}
