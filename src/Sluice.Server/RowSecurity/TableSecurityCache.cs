using Npgsql;
using NpgsqlTypes;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Which captured tables have row-level security enabled, re-read from <c>pg_class</c> at most every
/// <see cref="MaxAge"/> (so <c>ALTER TABLE … ENABLE ROW LEVEL SECURITY</c> on a live table applies within that time).
/// Used only by the dispatcher's loop.
/// </summary>
public sealed class TableSecurityCache(NpgsqlDataSource dataSource, TimeProvider? time = null)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<uint, bool> _protected = [];
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    /// <summary>Makes <see cref="IsProtected"/> current for <paramref name="relationIds"/> (one query when anything is stale or unknown).</summary>
    public async Task RefreshAsync(IReadOnlyCollection<uint> relationIds, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var stale = now - _readAt >= MaxAge;
        if (!stale)
        {
            foreach (var id in relationIds)
            {
                if (!_protected.ContainsKey(id))
                {
                    stale = true;
                    break;
                }
            }
        }
        if (!stale || relationIds.Count == 0)
            return;

        var ids = new HashSet<uint>(relationIds);
        ids.UnionWith(_protected.Keys);
        await using var command = dataSource.CreateCommand("SELECT oid, relrowsecurity FROM pg_catalog.pg_class WHERE oid = ANY ($1)");
        command.Parameters.Add(new NpgsqlParameter<uint[]> { TypedValue = [.. ids], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Oid });
        var found = new Dictionary<uint, bool>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                found[reader.GetFieldValue<uint>(0)] = reader.GetBoolean(1);
        }
        _protected.Clear();
        foreach (var (id, isProtected) in found)
            _protected[id] = isProtected;
        // A dropped table is not protected: its changes are the last ones anyone will see of it.
        foreach (var id in relationIds)
            _protected.TryAdd(id, false);
        _readAt = now;
    }

    public bool IsProtected(uint relationId) => _protected.TryGetValue(relationId, out var isProtected) && isProtected;
}
