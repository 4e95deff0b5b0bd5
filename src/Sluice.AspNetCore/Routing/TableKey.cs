namespace Sluice.Server.Routing;

/// <summary>A table by schema and name, as in the catalog.</summary>
internal readonly record struct TableKey(string Schema, string Table);
