namespace Sluice.Server.Capture;

/// <summary>The resolved type of a column: how its text value maps to JSON.</summary>
/// <param name="Oid">The column's type OID as sent by pgoutput.</param>
/// <param name="Kind">The kind of the value, or of each element when <paramref name="IsArray"/>.</param>
/// <param name="IsArray">The value is a PostgreSQL array literal of <paramref name="Kind"/> elements.</param>
/// <param name="ArrayDelimiter">The element delimiter of the array literal (',' for all but box).</param>
internal sealed record ColumnType(uint Oid, ValueKind Kind, bool IsArray = false, char ArrayDelimiter = ',');
