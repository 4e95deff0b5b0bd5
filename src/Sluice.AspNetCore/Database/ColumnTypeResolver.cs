using System.Collections.Concurrent;
using Npgsql;
using Sluice.Server.Capture;

namespace Sluice.Server.Database;

/// <summary>
/// Maps type OIDs to <see cref="ColumnType"/>: built-in types from a table, others (domains, enums,
/// arrays of those, extension types) from <c>pg_type</c>, cached.
/// </summary>
internal sealed class ColumnTypeResolver(NpgsqlDataSource dataSource)
{
    private const string TypeQuery = """
        SELECT t.typtype, t.typbasetype, t.typelem, t.typcategory, e.typdelim
        FROM pg_catalog.pg_type t
        LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
        WHERE t.oid = $1
        """;

    private readonly ConcurrentDictionary<uint, ColumnType> _cache = new();

    public async ValueTask<ColumnType> ResolveAsync(uint oid, CancellationToken cancellationToken)
    {
        if (BuiltinTypes.TryResolve(oid, out var builtin))
            return builtin;
        if (_cache.TryGetValue(oid, out var cached))
            return cached;
        var resolved = await LookUpAsync(oid, depth: 0, cancellationToken);
        _cache[oid] = resolved;
        return resolved;
    }

    private async ValueTask<ColumnType> LookUpAsync(uint oid, int depth, CancellationToken cancellationToken)
    {
        if (BuiltinTypes.TryResolve(oid, out var builtin))
            return builtin;
        if (depth > 8)
            return new ColumnType(oid, ValueKind.Text);

        await using var command = dataSource.CreateCommand(TypeQuery);
        command.Parameters.Add(new NpgsqlParameter<uint> { Value = oid, DataTypeName = "oid" });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return new ColumnType(oid, ValueKind.Text);

        var typeType = reader.GetChar(0);
        var baseType = reader.GetFieldValue<uint>(1);
        var elementType = reader.GetFieldValue<uint>(2);
        var category = reader.GetChar(3);
        var delimiter = reader.IsDBNull(4) ? ',' : reader.GetChar(4);
        await reader.DisposeAsync();

        if (typeType == 'd' && baseType != 0)
            return (await LookUpAsync(baseType, depth + 1, cancellationToken)) with { Oid = oid };
        if (category == 'A' && elementType != 0)
        {
            var element = await LookUpAsync(elementType, depth + 1, cancellationToken);
            return element.IsArray
                ? new ColumnType(oid, ValueKind.Text)
                : new ColumnType(oid, element.Kind, IsArray: true, ArrayDelimiter: delimiter);
        }
        return new ColumnType(oid, ValueKind.Text);
    }
}
