using Npgsql;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>
/// A realtime-enabled table <c>(id bigint primary key, version int not null, payload text)</c> whose rows only ever
/// move forward: updates increment <c>version</c>, ids are never reused. Replicas are compared against it.
/// </summary>
public sealed class VersionedTable(TestDatabase database, string name)
{
    public TestDatabase Database { get; } = database;
    public string Name { get; } = name;
    public string Channel => "table:public." + Name;

    /// <summary>Creates and enables the table, optionally with rows <c>1..preload</c> at version 0. A server must have
    /// started on the database once before: it installs <c>enable_realtime</c>.</summary>
    public static async Task<VersionedTable> CreateAsync(TestDatabase database, string name, int preload = 0, int payloadLength = 32)
    {
        await database.ExecuteAsync($"CREATE TABLE public.{name} (id bigint PRIMARY KEY, version int NOT NULL, payload text)");
        await database.ExecuteAsync("SELECT enable_realtime('public', $1)", name);
        if (preload > 0)
        {
            await database.ExecuteAsync(
                $"INSERT INTO public.{name} SELECT g, 0, repeat(md5(g::text), ($2 + 31) / 32) FROM generate_series(1, $1::bigint) g",
                (long)preload, payloadLength);
        }
        return new VersionedTable(database, name);
    }

    public Task InsertAsync(long id, int version = 0, string payload = "x") =>
        Database.ExecuteAsync($"INSERT INTO public.{Name} VALUES ($1, $2, $3)", id, version, payload);

    /// <summary>Runs <paramref name="sql"/> (several statements allowed) in one transaction, committed or rolled back.</summary>
    public async Task TransactionAsync(string sql, bool commit = true)
    {
        await using var connection = await Database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
            await command.ExecuteNonQueryAsync();
        if (commit)
            await transaction.CommitAsync();
        else
            await transaction.RollbackAsync();
    }

    /// <summary>The table's current content: id → version.</summary>
    public async Task<Dictionary<long, int>> ReadVersionsAsync()
    {
        await using var connection = await Database.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT id, version FROM public.{Name}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new Dictionary<long, int>();
        while (await reader.ReadAsync())
            versions.Add(reader.GetInt64(0), reader.GetInt32(1));
        return versions;
    }

    /// <summary>Asserts that the replica holds exactly the table's rows with the same versions and saw nothing inconsistent.</summary>
    public async Task AssertReplicaMatchesAsync(ReplicaClient replica, string context = "")
    {
        var expected = await ReadVersionsAsync();
        var actual = replica.Versions();
        var problems = new List<string>();
        foreach (var (id, version) in expected)
        {
            if (!actual.TryGetValue(id, out var held))
                problems.Add($"missing id {id} (version {version})");
            else if (held != version)
                problems.Add($"id {id}: replica has version {held}, table has {version}");
        }
        foreach (var id in actual.Keys.Where(id => !expected.ContainsKey(id)))
            problems.Add($"extra id {id} (version {actual[id]})");
        problems.AddRange(replica.Violations);
        Assert.True(problems.Count == 0,
            $"{context} replica {replica.Name} ({replica.Describe()}) differs from {Name} ({expected.Count} rows) in {problems.Count} ways:\n  "
            + string.Join("\n  ", problems.Take(30)));
    }
}
