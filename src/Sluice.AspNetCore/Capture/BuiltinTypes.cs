using System.Collections.Frozen;

namespace Sluice.Server.Capture;

/// <summary>The <see cref="ColumnType"/> of PostgreSQL's built-in types, by type OID.</summary>
internal static class BuiltinTypes
{
    private static readonly FrozenDictionary<uint, ColumnType> ByOid = CreateMap();

    /// <summary>
    /// Resolves a built-in type OID. For an unknown OID (user-defined types, enums, domains, …) returns
    /// false and a non-array <see cref="ValueKind.Text"/> type carrying that OID.
    /// </summary>
    public static bool TryResolve(uint oid, out ColumnType type)
    {
        if (ByOid.TryGetValue(oid, out var known))
        {
            type = known;
            return true;
        }

        type = new ColumnType(oid, ValueKind.Text);
        return false;
    }

    private static FrozenDictionary<uint, ColumnType> CreateMap()
    {
        var map = new Dictionary<uint, ColumnType>();
        // (scalar OID, array OID, kind)
        (uint Scalar, uint Array, ValueKind Kind)[] types =
        [
            (21, 1005, ValueKind.Integer),      // int2
            (23, 1007, ValueKind.Integer),      // int4
            (20, 1016, ValueKind.Integer),      // int8
            (26, 1028, ValueKind.Integer),      // oid
            (700, 1021, ValueKind.Float),       // float4
            (701, 1022, ValueKind.Float),       // float8
            (1700, 1231, ValueKind.Numeric),    // numeric
            (16, 1000, ValueKind.Boolean),      // bool
            (114, 199, ValueKind.Json),         // json
            (3802, 3807, ValueKind.Json),       // jsonb
            (1114, 1115, ValueKind.Timestamp),  // timestamp
            (1184, 1185, ValueKind.TimestampTz), // timestamptz
            (1082, 1182, ValueKind.Date),       // date
            (1083, 1183, ValueKind.Time),       // time
            (1266, 1270, ValueKind.TimeTz),     // timetz
            (2950, 2951, ValueKind.Uuid),       // uuid
            (25, 1009, ValueKind.Text),         // text
            (1043, 1015, ValueKind.Text),       // varchar
            (1042, 1014, ValueKind.Text),       // bpchar
            (19, 1003, ValueKind.Text),         // name
        ];
        foreach (var (scalar, array, kind) in types)
        {
            map.Add(scalar, new ColumnType(scalar, kind));
            map.Add(array, new ColumnType(array, kind, IsArray: true));
        }

        return map.ToFrozenDictionary();
    }
}
