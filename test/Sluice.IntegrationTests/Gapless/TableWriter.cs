using Npgsql;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>
/// One writer connection doing random work on a <see cref="VersionedTable"/>: single-statement inserts, updates
/// (<c>version = version + 1</c>, sometimes of several rows in one statement) and deletes, and multi-statement
/// transactions of which some roll back. Writer <c>w</c> of <c>n</c> owns the ids <c>k·n + w + 1</c>, so writers
/// never wait on each other's row locks, and ids are never reused. Sometimes a payload is large enough to be TOASTed,
/// so later version-only updates leave an unchanged TOAST value.
/// </summary>
public sealed class TableWriter
{
    private readonly VersionedTable _table;
    private readonly int _index;
    private readonly int _writers;
    private readonly Random _random;
    private readonly List<long> _owned = [];
    private long _nextOrdinal;
    private int _commits;
    private int _rollbacks;

    /// <summary>Writer <paramref name="index"/> of <paramref name="writers"/>; rows <c>1..preloaded</c> exist already and
    /// this writer takes over its share of them. <paramref name="seed"/> makes its choices repeatable.</summary>
    public TableWriter(VersionedTable table, int index, int writers, int seed, int preloaded = 0)
    {
        _table = table;
        _index = index;
        _writers = writers;
        _random = new Random(seed);
        for (long id = index + 1; id <= preloaded; id += writers)
            _owned.Add(id);
        _nextOrdinal = preloaded / writers + 1;
    }

    public int Commits => Volatile.Read(ref _commits);
    public int Rollbacks => Volatile.Read(ref _rollbacks);

    /// <summary>Writes until <paramref name="stop"/> is cancelled; the transaction in flight finishes first.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        await using var connection = await _table.Database.OpenAsync();
        while (!stop.IsCancellationRequested)
            await OneTransactionAsync(connection);
    }

    private async Task OneTransactionAsync(NpgsqlConnection connection)
    {
        var explicitTransaction = _random.Next(100) < 30;
        var statements = explicitTransaction ? _random.Next(2, 6) : 1;
        var rollback = explicitTransaction && _random.Next(100) < 25;
        var working = new List<long>(_owned);
        await using var transaction = explicitTransaction ? await connection.BeginTransactionAsync() : null;
        for (var i = 0; i < statements; i++)
        {
            await using var command = NextStatement(connection, working);
            command.Transaction = transaction;
            await command.ExecuteNonQueryAsync();
        }
        if (transaction is not null)
        {
            if (rollback)
            {
                await transaction.RollbackAsync();
                Interlocked.Increment(ref _rollbacks);
                return;
            }
            await transaction.CommitAsync();
        }
        _owned.Clear();
        _owned.AddRange(working);
        Interlocked.Increment(ref _commits);
    }

    private NpgsqlCommand NextStatement(NpgsqlConnection connection, List<long> working)
    {
        var table = "public." + _table.Name;
        var roll = _random.Next(100);
        if (working.Count == 0 || roll < 40)
        {
            var id = _nextOrdinal++ * _writers + _index + 1;
            working.Add(id);
            return Command(connection, $"INSERT INTO {table} (id, version, payload) VALUES ($1, 0, $2)", id, Payload());
        }
        if (roll < 75)
            return Command(connection, $"UPDATE {table} SET version = version + 1 WHERE id = $1", Pick(working, remove: false));
        if (roll < 85)
        {
            var ids = Enumerable.Range(0, _random.Next(2, 6)).Select(_ => Pick(working, remove: false)).Distinct().ToArray();
            return Command(connection, $"UPDATE {table} SET version = version + 1, payload = $2 WHERE id = ANY($1)", ids, Payload());
        }
        return Command(connection, $"DELETE FROM {table} WHERE id = $1", Pick(working, remove: true));
    }

    private long Pick(List<long> ids, bool remove)
    {
        var at = _random.Next(ids.Count);
        var id = ids[at];
        if (remove)
        {
            ids[at] = ids[^1];
            ids.RemoveAt(ids.Count - 1);
        }
        return id;
    }

    private string Payload()
    {
        var length = _random.Next(100) < 3 ? 6000 : _random.Next(4, 64);
        return string.Create(length, _random, static (span, random) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = (char)random.Next('a', 'z' + 1);
        });
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return command;
    }
}
