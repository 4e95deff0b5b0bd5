using Npgsql;
using NpgsqlTypes;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Reads whether captured tables have row-level security, freshly for every dispatch round (never from a cache), so a
/// change committed after <c>ALTER TABLE … ENABLE ROW LEVEL SECURITY</c> returned is judged by the policies, as
/// PostgreSQL itself applies them at once. The read happens after the changes committed (they came from the WAL), so it
/// sees every catalog change committed before them. A relation that is gone is <see cref="TableProtection.Gone"/>.
/// </summary>
internal sealed class TableSecurityReader(NpgsqlDataSource dataSource)
{
    /// <summary>The protection of each of <paramref name="relationIds"/>: one query.</summary>
    public async Task<Dictionary<uint, TableProtection>> ReadAsync(IReadOnlyCollection<uint> relationIds, CancellationToken cancellationToken)
    {
        var protection = new Dictionary<uint, TableProtection>(relationIds.Count);
        foreach (var id in relationIds)
            protection[id] = TableProtection.Gone;
        if (relationIds.Count == 0)
            return protection;
        await using var command = dataSource.CreateCommand("SELECT oid, relrowsecurity FROM pg_catalog.pg_class WHERE oid = ANY ($1)");
        command.Parameters.Add(new NpgsqlParameter<uint[]> { TypedValue = [.. relationIds], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Oid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            protection[reader.GetFieldValue<uint>(0)] = reader.GetBoolean(1) ? TableProtection.RowLevelSecurity : TableProtection.None;
        return protection;
    }
}
