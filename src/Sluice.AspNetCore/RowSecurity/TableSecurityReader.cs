using Npgsql;
using NpgsqlTypes;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Reads whether captured tables have row-level security, freshly for every dispatch round (never from a cache), so a
/// change committed after <c>ALTER TABLE … ENABLE ROW LEVEL SECURITY</c> returned is judged by the policies, as
/// PostgreSQL itself applies them at once. The read happens after the changes committed (they came from the WAL), so it
/// sees every catalog change committed before them. A relation that is gone is <see cref="TableProtection.Gone"/>.
/// </summary>
/// <remarks>
/// The read sits in front of every delivery, so it is made as cheap as one round trip can be: it owns one connection
/// (taken from the pool once and kept, so no reset is sent with every read) and a prepared statement on it (bound and
/// executed, not parsed and planned, each time). Reads are serialized (the dispatcher is the only caller); a failed read
/// drops the connection and the next read opens a new one, so a broken connection is never reused.
/// </remarks>
internal sealed class TableSecurityReader(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    private const string Sql = "SELECT oid, relrowsecurity FROM pg_catalog.pg_class WHERE oid = ANY ($1)";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _connection;
    private NpgsqlCommand? _command;
    private bool _disposed;

    /// <summary>
    /// Fills <paramref name="protection"/> (cleared first) with the protection of each of <paramref name="relationIds"/>:
    /// one query. The caller may reuse both collections from round to round.
    /// </summary>
    public async Task ReadAsync(HashSet<uint> relationIds, Dictionary<uint, TableProtection> protection, CancellationToken cancellationToken)
    {
        protection.Clear();
        foreach (var id in relationIds)
            protection[id] = TableProtection.Gone;
        if (relationIds.Count == 0)
            return;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var command = _command ?? await PrepareAsync(cancellationToken);
            command.Parameters[0].Value = relationIds.ToArray();
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    protection[reader.GetFieldValue<uint>(0)] = reader.GetBoolean(1) ? TableProtection.RowLevelSecurity : TableProtection.None;
            }
            catch
            {
                // Whatever failed (a cut connection, a cancelled read mid-result), the connection's state is not trusted.
                await DropConnectionAsync();
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<NpgsqlCommand> PrepareAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var command = new NpgsqlCommand(Sql, connection);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Oid });
            await command.PrepareAsync(cancellationToken);
            (_connection, _command) = (connection, command);
            return command;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task DropConnectionAsync()
    {
        var connection = _connection;
        (_connection, _command) = (null, null);
        if (connection is not null)
            await connection.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            await DropConnectionAsync();
        }
        finally
        {
            _gate.Release();
        }
    }
}
