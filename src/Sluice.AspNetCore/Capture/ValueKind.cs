namespace Sluice.Server.Capture;

/// <summary>How a PostgreSQL value is represented in JSON and compared in filters.</summary>
internal enum ValueKind : byte
{
    /// <summary>Anything without a better mapping (text, varchar, enums, ranges, …): a JSON string.</summary>
    Text,
    /// <summary>int2, int4, int8, oid: a JSON number.</summary>
    Integer,
    /// <summary>float4, float8: a JSON number; NaN and ±Infinity become strings.</summary>
    Float,
    /// <summary>numeric: a JSON number written with the exact digits; NaN/Infinity become strings.</summary>
    Numeric,
    /// <summary>bool: true/false.</summary>
    Boolean,
    /// <summary>json, jsonb: embedded as JSON.</summary>
    Json,
    /// <summary>timestamp without time zone: ISO-8601 string without offset.</summary>
    Timestamp,
    /// <summary>timestamp with time zone: ISO-8601 string with offset.</summary>
    TimestampTz,
    /// <summary>date: ISO-8601 date string.</summary>
    Date,
    /// <summary>time: ISO-8601 time string.</summary>
    Time,
    /// <summary>time with time zone: ISO-8601 time string with offset.</summary>
    TimeTz,
    /// <summary>uuid: string, compared as a GUID.</summary>
    Uuid,
}
