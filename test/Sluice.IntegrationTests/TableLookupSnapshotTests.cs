using Npgsql;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Server.Database;

namespace Sluice.IntegrationTests;

/// <summary>
/// The table lookup a subscribe starts with reads the relation and its realtime membership from one snapshot. Seen in
/// the RLS chaos test: a subscribe racing <c>DROP TABLE t; CREATE TABLE t …; SELECT enable_realtime(…)</c> (one
/// transaction) was refused with <c>realtime_not_enabled</c>, because the publication view
/// (<c>pg_publication_tables</c>) reads the catalog's newest state while the <c>pg_class</c> row came from the
/// statement's older snapshot: the old table, judged by the new publication. A transaction at REPEATABLE READ holds the
/// older snapshot still, which makes the race deterministic.
/// </summary>
public sealed class TableLookupSnapshotTests(PostgresFixture postgres) : ServerTest(postgres)
{
    [Fact]
    public async Task A_table_replaced_after_the_snapshot_is_seen_whole_as_it_was()
    {
        await CreateTableAsync("t", "id bigint PRIMARY KEY");
        var before = await Database.ScalarAsync<uint>("SELECT 'public.t'::regclass::oid");

        await using var reader = await Database.OpenAsync();
        await using var transaction = await reader.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using (var first = new NpgsqlCommand("SELECT 1", reader, transaction))
            await first.ExecuteScalarAsync(); // the snapshot is taken here

        await Database.ExecuteAsync("""
            BEGIN;
            DROP TABLE public.t;
            CREATE TABLE public.t (id bigint PRIMARY KEY);
            SELECT enable_realtime('public', 't');
            COMMIT;
            """);

        await using var lookup = new NpgsqlCommand(TableCatalog.TableQuery, reader, transaction);
        lookup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "public" });
        lookup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "t" });
        lookup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Database.PublicationName });
        await using var rows = await lookup.ExecuteReaderAsync();
        Assert.True(await rows.ReadAsync());
        Assert.Equal(before, rows.GetFieldValue<uint>(0));
        Assert.True(rows.GetBoolean(1), "the table of the snapshot was realtime-enabled in that snapshot");
    }
}
