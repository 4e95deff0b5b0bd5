using Npgsql;

namespace Sluice.Server.Database;

/// <summary>
/// Installs the SQL functions users call from any session: <c>enable_realtime(schema, table)</c>,
/// <c>disable_realtime(schema, table)</c> and <c>realtime_tables()</c>, bound to Sluice's publication,
/// and creates the publication when missing. Idempotent; concurrent installers serialize on an advisory lock.
/// </summary>
public static class SqlApi
{
    private const string Template = """
        SELECT pg_catalog.pg_advisory_xact_lock(7305186172619410227);

        CREATE SCHEMA IF NOT EXISTS sluice;
        CREATE TABLE IF NOT EXISTS sluice.slot_epochs (
          slot_name text PRIMARY KEY,
          epoch text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        COMMENT ON TABLE sluice.slot_epochs IS 'Sluice: the log epoch of each replication slot; offsets of another epoch need a resync.';

        DO $do$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = @@PUB_LITERAL@@) THEN
            EXECUTE pg_catalog.format('CREATE PUBLICATION %I WITH (publish_via_partition_root = true)', @@PUB_LITERAL@@);
          END IF;
        END
        $do$;

        -- The table a caller may enable or disable: it must exist and the session user must own it.
        CREATE OR REPLACE FUNCTION sluice.owned_table(schema_name text, table_name text, action text)
        RETURNS oid
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS $fn$
        DECLARE
          rel oid;
          owner oid;
        BEGIN
          SELECT c.oid, c.relowner INTO rel, owner
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = schema_name AND c.relname = table_name AND c.relkind IN ('r', 'p');
          IF rel IS NULL THEN
            RAISE EXCEPTION 'table %.% does not exist', quote_ident(schema_name), quote_ident(table_name)
              USING ERRCODE = 'undefined_table';
          END IF;
          IF NOT pg_has_role(session_user, owner, 'USAGE') THEN
            RAISE EXCEPTION 'only the owner of %.% can % realtime on it', quote_ident(schema_name), quote_ident(table_name), action
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          RETURN rel;
        END
        $fn$;

        CREATE OR REPLACE FUNCTION public.enable_realtime(schema_name text, table_name text)
        RETURNS text
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS $fn$
        DECLARE
          publication constant name := @@PUB_LITERAL@@;
          rel oid := sluice.owned_table(schema_name, table_name, 'enable');
        BEGIN
          -- A full old row on UPDATE and DELETE, and UPDATE/DELETE never fail for lack of a replica identity.
          EXECUTE format('ALTER TABLE %I.%I REPLICA IDENTITY FULL', schema_name, table_name);
          IF NOT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                         WHERE p.pubname = publication AND pr.prrelid = rel) THEN
            EXECUTE format('ALTER PUBLICATION %I ADD TABLE %I.%I', publication, schema_name, table_name);
          END IF;
          RETURN format('%I.%I', schema_name, table_name);
        END
        $fn$;

        CREATE OR REPLACE FUNCTION public.disable_realtime(schema_name text, table_name text)
        RETURNS text
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS $fn$
        DECLARE
          publication constant name := @@PUB_LITERAL@@;
          rel oid := sluice.owned_table(schema_name, table_name, 'disable');
        BEGIN
          IF EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                     WHERE p.pubname = publication AND pr.prrelid = rel) THEN
            EXECUTE format('ALTER PUBLICATION %I DROP TABLE %I.%I', publication, schema_name, table_name);
          END IF;
          RETURN format('%I.%I', schema_name, table_name);
        END
        $fn$;

        CREATE OR REPLACE FUNCTION public.realtime_tables()
        RETURNS TABLE (schema_name name, table_name name, replica_identity text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS $fn$
          SELECT n.nspname, c.relname,
                 CASE c.relreplident WHEN 'f' THEN 'full' WHEN 'd' THEN 'default' WHEN 'i' THEN 'index' ELSE 'nothing' END
          FROM pg_publication p
          JOIN pg_publication_rel pr ON pr.prpubid = p.oid
          JOIN pg_class c ON c.oid = pr.prrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE p.pubname = @@PUB_LITERAL@@
          ORDER BY 1, 2
        $fn$;

        COMMENT ON FUNCTION public.enable_realtime(text, text) IS 'Sluice: stream changes of this table to realtime subscribers (sets REPLICA IDENTITY FULL).';
        COMMENT ON FUNCTION public.disable_realtime(text, text) IS 'Sluice: stop streaming changes of this table.';
        COMMENT ON FUNCTION public.realtime_tables() IS 'Sluice: the tables whose changes are streamed.';
        """;

    public static async Task InstallAsync(NpgsqlDataSource dataSource, string publicationName, CancellationToken cancellationToken)
    {
        var sql = Template.Replace("@@PUB_LITERAL@@", QuoteLiteral(publicationName), StringComparison.Ordinal);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var batch = new NpgsqlCommand(sql, connection, transaction))
            await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static string QuoteLiteral(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
