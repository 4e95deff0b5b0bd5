using Sluice.Server.Capture;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>PostgreSQL type names (<c>pg_type.typname</c>) of common built-in types, for the <c>columns</c> of a change.</summary>
internal static class PgTypeNames
{
    public static string Of(ColumnType type) => type.Oid switch
    {
        16 => "bool",
        17 => "bytea",
        18 => "char",
        19 => "name",
        20 => "int8",
        21 => "int2",
        23 => "int4",
        25 => "text",
        26 => "oid",
        114 => "json",
        199 => "_json",
        700 => "float4",
        701 => "float8",
        1000 => "_bool",
        1005 => "_int2",
        1007 => "_int4",
        1009 => "_text",
        1015 => "_varchar",
        1016 => "_int8",
        1021 => "_float4",
        1022 => "_float8",
        1042 => "bpchar",
        1043 => "varchar",
        1082 => "date",
        1083 => "time",
        1114 => "timestamp",
        1184 => "timestamptz",
        1186 => "interval",
        1231 => "_numeric",
        1266 => "timetz",
        1700 => "numeric",
        2950 => "uuid",
        2951 => "_uuid",
        3802 => "jsonb",
        3807 => "_jsonb",
        _ => type.IsArray ? "_text" : "text",
    };
}
