using Sluice.Server.Auth;
using Sluice.Server.Database;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Looks a table up by name and decides whether a subscriber may read it: the one place where a subscribe (native,
/// Supabase <c>postgres_changes</c> bindings) and <c>GET /api/tables/…/rows</c> do both.
/// </summary>
/// <remarks>
/// Invariant: the decision returned is about the relation of the lookup returned (same OID), so the columns a filter is
/// parsed against, the relation a subscription follows and the row-level security the decision established all belong
/// to one table. Lookup and decision are two queries; a table dropped, or dropped and recreated under its name, between
/// them leaves the decision <see cref="AccessDecision.Stale"/>, and the name is looked up again, at most
/// <see cref="MaxAttempts"/> times in all. Fails closed: a name that no longer leads to a table is answered as one that
/// never existed (<c>table_not_found</c>), a real refusal as <c>forbidden</c>, and a name that keeps changing with
/// <see cref="AccessCheckUnavailableException"/> (<c>database_unavailable</c>: try again) — never an allowance on an
/// unknown, never a refusal for a table that exists.
/// </remarks>
internal sealed class TableAccessResolver(TableCatalog catalog, SubscriberAccess access)
{
    /// <summary>Lookups (and decisions) per resolution: a table replaced this many times in a row is answered "try again".</summary>
    public const int MaxAttempts = 3;

    public async Task<TableAccess> ResolveAsync(string schema, string table, ConnectionIdentity identity, CancellationToken cancellationToken) =>
        await ResolveAsync(await catalog.LookUpAsync(schema, table, cancellationToken), schema, table, identity, cancellationToken);

    /// <summary>Goes on from <paramref name="lookup"/>, the first lookup of <paramref name="schema"/>.<paramref name="table"/> (which may be stale by now).</summary>
    internal async Task<TableAccess> ResolveAsync(TableLookup lookup, string schema, string table, ConnectionIdentity identity, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (lookup.Table is null)
                return new TableAccess(lookup, AccessDecision.Refuse($"table {schema}.{table} does not exist"));
            var decision = await access.DecideAsync(lookup.Table, identity, cancellationToken);
            if (!decision.IsStale)
                return new TableAccess(lookup, decision);
            if (attempt == MaxAttempts)
                throw new AccessCheckUnavailableException($"table {schema}.{table} was dropped or replaced each of the {MaxAttempts} times access to it was decided; nothing was decided");
            lookup = await catalog.LookUpAsync(schema, table, cancellationToken);
        }
    }
}
