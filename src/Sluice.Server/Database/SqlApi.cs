using Npgsql;

namespace Sluice.Server.Database;

/// <summary>
/// Installs the SQL functions users call from any session: <c>enable_realtime(schema, table)</c>,
/// <c>disable_realtime(schema, table)</c> and <c>realtime_tables()</c>, bound to Sluice's publication,
/// and creates the publication when missing. Also the row-level security support: <c>auth.uid()</c>,
/// <c>auth.role()</c> and <c>auth.jwt()</c> where absent, and <c>sluice.visible_rows</c>, the policy evaluator. Idempotent; concurrent installers serialize on an advisory lock.
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
            -- Travels through the slot in commit order: Sluice ends the table's subscriptions right after its last change.
            PERFORM pg_logical_emit_message(true, 'sluice.realtime_disabled',
              json_build_object('relation', rel::bigint, 'schema', schema_name, 'table', table_name)::text);
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

        -- Row-level security of subscribers. Helpers as Supabase names them, created only where absent.
        CREATE SCHEMA IF NOT EXISTS auth;
        GRANT USAGE ON SCHEMA auth TO PUBLIC;
        DO $do$
        BEGIN
          IF to_regprocedure('auth.jwt()') IS NULL THEN
            CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE
            AS $fn$ SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $fn$;
            COMMENT ON FUNCTION auth.jwt() IS 'Sluice: the claims of the JWT the current realtime subscriber connected with.';
          END IF;
          IF to_regprocedure('auth.uid()') IS NULL THEN
            CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
            AS $fn$ SELECT nullif(coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                                           coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb ->> 'sub'), '')::uuid $fn$;
            COMMENT ON FUNCTION auth.uid() IS 'Sluice: the sub claim of the current realtime subscriber, as a uuid.';
          END IF;
          IF to_regprocedure('auth.role()') IS NULL THEN
            CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE
            AS $fn$ SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                                    coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb ->> 'role') $fn$;
            COMMENT ON FUNCTION auth.role() IS 'Sluice: the role claim of the current realtime subscriber.';
          END IF;
        END
        $do$;

        -- Which of the given rows of a table the current role could SELECT, judged by the table's SELECT policies as
        -- PostgreSQL would apply them (permissive ones OR-ed, restrictive ones AND-ed, owners and BYPASSRLS roles exempt
        -- unless FORCE ROW LEVEL SECURITY) on the rows' captured values. rows: a JSON array of objects of column text
        -- values. Returns whether the role may read the table at all, and the 1-based positions of the visible rows.
        CREATE OR REPLACE FUNCTION sluice.visible_rows(tbl oid, rows jsonb, OUT readable boolean, OUT visible integer[])
        LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
        AS $fn$
        DECLARE
          rel record;
          permissive text;
          restrictive text;
          columns text;
        BEGIN
          SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, c.relowner INTO rel FROM pg_class c WHERE c.oid = tbl;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'relation % does not exist', tbl USING ERRCODE = 'undefined_table';
          END IF;
          readable := has_table_privilege(tbl, 'SELECT');
          IF NOT readable THEN
            visible := '{}';
            RETURN;
          END IF;
          IF NOT rel.relrowsecurity
             OR (pg_has_role(rel.relowner, 'USAGE') AND NOT rel.relforcerowsecurity)
             OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = current_user AND (r.rolsuper OR r.rolbypassrls)) THEN
            SELECT coalesce(array_agg(i), '{}') INTO visible FROM generate_series(1, jsonb_array_length(rows)) i;
            RETURN;
          END IF;
          SELECT string_agg('(' || pg_get_expr(p.polqual, p.polrelid) || ')', ' OR ') FILTER (WHERE p.polpermissive),
                 string_agg('(' || pg_get_expr(p.polqual, p.polrelid) || ')', ' AND ') FILTER (WHERE NOT p.polpermissive)
            INTO permissive, restrictive
          FROM pg_policy p
          WHERE p.polrelid = tbl AND p.polcmd IN ('r', '*') AND p.polqual IS NOT NULL
            AND (0::oid = ANY (p.polroles) OR EXISTS (SELECT 1 FROM unnest(p.polroles) pr WHERE pr <> 0 AND pg_has_role(pr, 'USAGE')));
          IF permissive IS NULL THEN
            visible := '{}';
            RETURN;
          END IF;
          SELECT string_agg(format('(sluice_row ->> %L)::%s AS %I', a.attname, format_type(a.atttypid, a.atttypmod), a.attname), ', ' ORDER BY a.attnum)
            INTO columns
          FROM pg_attribute a WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped;
          EXECUTE format('SELECT coalesce(array_agg(sluice_position::integer ORDER BY sluice_position), ''{}'') '
                         'FROM jsonb_array_elements($1) WITH ORDINALITY AS sluice_rows(sluice_row, sluice_position), '
                         'LATERAL (SELECT %s) AS %I WHERE (%s)%s',
                         columns, rel.relname, permissive, coalesce(' AND ' || restrictive, ''))
            INTO visible USING rows;
        END
        $fn$;
        GRANT USAGE ON SCHEMA sluice TO PUBLIC;
        REVOKE ALL ON sluice.slot_epochs FROM PUBLIC;
        COMMENT ON FUNCTION sluice.visible_rows(oid, jsonb) IS 'Sluice: which captured rows the current role and JWT claims may see under the table''s row-level security.';

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
