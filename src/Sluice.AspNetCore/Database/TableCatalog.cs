using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Npgsql;
using Sluice.Server.Capture;
using Sluice.Server.Hosting;

namespace Sluice.Server.Database;

/// <summary>Reads table definitions from the catalog, with parameters only (names are never spliced into SQL).</summary>
internal sealed class TableCatalog(NpgsqlDataSource dataSource, ColumnTypeResolver types, IOptions<SluiceOptions> options)
{
    /// <summary>
    /// One row per column: same columns, same order as a pgoutput Relation message (live, non-generated, by attnum).
    /// Invariant: the relation and its membership of the publication come from one snapshot, the statement's. The
    /// <c>pg_publication_tables</c> view alone cannot promise that (its function reads the catalog's newest state, so a
    /// table dropped and recreated under its name while the statement runs looked "not enabled"); it only adds tables a
    /// publication holds by schema or as FOR ALL TABLES (Sluice's own <c>enable_realtime</c> adds tables one by one). Internal for the test that holds a snapshot across a replacement.
    /// </summary>
    internal const string TableQuery = """
        SELECT c.oid,
               EXISTS (SELECT 1 FROM pg_catalog.pg_publication p
                       JOIN pg_catalog.pg_publication_rel r ON r.prpubid = p.oid
                       WHERE p.pubname = $3 AND r.prrelid = c.oid)
               OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables p
                          WHERE p.pubname = $3 AND p.schemaname = n.nspname AND p.tablename = c.relname),
               a.attname, a.atttypid,
               COALESCE(a.attnum = ANY (i.indkey), false)
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_attribute a
               ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indisprimary
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
        ORDER BY a.attnum
        """;

    public async Task<TableLookup> LookUpAsync(string schema, string table, CancellationToken cancellationToken)
    {
        uint relationId = 0;
        var enabled = false;
        var columns = new List<(string Name, uint TypeOid, bool IsKey)>();

        await using (var command = dataSource.CreateCommand(TableQuery))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schema });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.Value.PublicationName });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                relationId = reader.GetFieldValue<uint>(0);
                enabled = reader.GetBoolean(1);
                if (!reader.IsDBNull(2))
                    columns.Add((reader.GetString(2), reader.GetFieldValue<uint>(3), reader.GetBoolean(4)));
            }
        }

        if (relationId == 0)
            return new TableLookup(null, false);

        var resolved = ImmutableArray.CreateBuilder<TableColumn>(columns.Count);
        foreach (var (name, typeOid, isKey) in columns)
            resolved.Add(new TableColumn(name, await types.ResolveAsync(typeOid, cancellationToken), isKey, IsPrimaryKey: isKey));
        return new TableLookup(new TableSchema(relationId, schema, table, resolved.MoveToImmutable()), enabled);
    }

    /// <summary>
    /// Whether Sluice's publication publishes a partitioned table's rows under the root's name
    /// (<c>publish_via_partition_root</c>, which Sluice sets when it creates the publication); false when it does not exist.
    /// </summary>
    public async Task<bool> PublishesViaRootAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT p.pubviaroot FROM pg_catalog.pg_publication p WHERE p.pubname = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.Value.PublicationName });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>The name of Sluice's publication.</summary>
    public string PublicationName => options.Value.PublicationName;

    /// <summary>The realtime-enabled tables of <paramref name="schema"/> (in Sluice's publication), by name.</summary>
    public async Task<List<string>> RealtimeTablesAsync(string schema, CancellationToken cancellationToken)
    {
        var tables = new List<string>();
        await using var command = dataSource.CreateCommand(
            "SELECT tablename FROM pg_catalog.pg_publication_tables WHERE pubname = $1 AND schemaname = $2 ORDER BY tablename");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.Value.PublicationName });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schema });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            tables.Add(reader.GetString(0));
        return tables;
    }
}
