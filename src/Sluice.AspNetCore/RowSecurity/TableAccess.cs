using Sluice.Server.Database;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// A table as looked up by name, and whether a subscriber may read it: <see cref="Decision"/> is about the relation in
/// <see cref="Lookup"/> (the same OID), never about another table of that name (see <see cref="TableAccessResolver"/>).
/// A name that leads to no table is refused ("does not exist"); callers answer it as <c>table_not_found</c>.
/// </summary>
internal sealed record TableAccess(TableLookup Lookup, AccessDecision Decision);
