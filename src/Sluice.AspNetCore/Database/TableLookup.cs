using Sluice.Server.Capture;

namespace Sluice.Server.Database;

/// <summary>What the catalog says about a table a client wants to subscribe to.</summary>
/// <param name="Table">The table's columns as pgoutput will send them; null when the table does not exist.</param>
/// <param name="RealtimeEnabled">The table is in Sluice's publication.</param>
internal sealed record TableLookup(TableSchema? Table, bool RealtimeEnabled);
