using Npgsql;

namespace Sluice.Server.Database;

/// <summary>
/// Installs the SQL functions users call from any session: <c>enable_realtime(schema, table)</c>,
/// <c>disable_realtime(schema, table)</c> and <c>realtime_tables()</c>, bound to Sluice's publication,
/// and creates the publication when missing. Also the row-level security support: <c>auth.uid()</c>,
/// <c>auth.role()</c> and <c>auth.jwt()</c> where absent, and <c>sluice.visible_rows</c>, the policy evaluator. Idempotent; concurrent installers serialize on an advisory lock.
/// </summary>
internal static class SqlApi
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
          -- Sluice's own tables and the system catalogs never stream, whoever asks (the admin API runs as Sluice's user).
          IF schema_name IN ('sluice', 'information_schema') OR starts_with(schema_name, 'pg_') THEN
            RAISE EXCEPTION 'realtime cannot be %d on %.%: the schema belongs to Sluice or PostgreSQL', action, quote_ident(schema_name), quote_ident(table_name)
              USING ERRCODE = 'insufficient_privilege';
          END IF;
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

        -- The search_path a client session of the current role would start with in this database (PostgreSQL's order: the
        -- role's setting for this database, the role's, the database's, ALTER ROLE ALL, else the server's), so that functions
        -- called by policies resolve names as they do for any client of that role. The server's is the one Sluice's session
        -- started with: its caller puts it in sluice.session_search_path before assuming the role (reading pg_settings
        -- costs milliseconds per call); without it, pg_settings tells.
        CREATE OR REPLACE FUNCTION sluice.role_search_path()
        RETURNS text
        LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
        AS $fn$
        BEGIN
          -- PL/pgSQL rather than SQL: its plan is kept for the session, and it runs for every check.
          RETURN coalesce(
            (SELECT substr(c.setting, 13)
               FROM pg_db_role_setting s CROSS JOIN LATERAL unnest(s.setconfig) AS c(setting)
              WHERE starts_with(c.setting, 'search_path=')
                AND s.setrole IN (0, to_regrole(current_user))
                AND s.setdatabase IN (0, (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
              ORDER BY s.setrole = 0, s.setdatabase = 0
              LIMIT 1),
            nullif(current_setting('sluice.session_search_path', true), ''),
            (SELECT t.reset_val FROM pg_settings t WHERE t.name = 'search_path'));
        END
        $fn$;
        COMMENT ON FUNCTION sluice.role_search_path() IS 'Sluice: the search_path a session of the current role starts with in this database.';

        -- visible_rows of Sluice 0.1 returned (readable, visible) only: its result type changes, so it is replaced once.
        DO $do$
        BEGIN
          IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                     WHERE p.oid = pg_catalog.to_regprocedure('sluice.visible_rows(oid, jsonb)')
                       AND NOT ('unknown' = ANY (p.proargnames))) THEN
            DROP FUNCTION sluice.visible_rows(oid, jsonb);
          END IF;
        END
        $do$;

        -- Which of the given rows of a table the current role could SELECT, judged by the table's SELECT policies as
        -- PostgreSQL would apply them (permissive ones OR-ed, restrictive ones AND-ed, owners and BYPASSRLS roles exempt
        -- unless FORCE ROW LEVEL SECURITY) on the rows' captured values. rows: a JSON array of objects of column text
        -- values; a column the WAL did not carry is absent from its object (SQL NULL is a JSON null).
        --
        -- Fails closed, never guesses: readable is NULL when the relation no longer exists; a row lacking a column the
        -- applicable policies read (from their dependencies; a whole-row reference reads every column) is reported in
        -- unknown, not judged; an error raised while evaluating the policies is returned in error_state/error_message
        -- (nothing visible), so one table's failure never spoils the others' checks.
        --
        -- Policies are deparsed and evaluated with the role's search_path (sluice.role_search_path), as for a client
        -- session of that role; everything Sluice itself runs under that path is schema-qualified and uses no operator
        -- resolved through it, so objects planted in that path cannot take over the evaluation.
        CREATE OR REPLACE FUNCTION sluice.visible_rows(tbl oid, rows jsonb,
          OUT readable boolean, OUT visible integer[], OUT unknown integer[], OUT error_state text, OUT error_message text)
        LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
        AS $fn$
        DECLARE
          rel record;
          permissive text;
          restrictive text;
          columns text;
          known text;
        BEGIN
          visible := '{}';
          unknown := '{}';
          SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, c.relowner INTO rel FROM pg_class c WHERE c.oid = tbl;
          IF NOT FOUND THEN
            readable := NULL;
            RETURN;
          END IF;
          readable := has_table_privilege(tbl, 'SELECT');
          IF NOT readable THEN
            RETURN;
          END IF;
          IF NOT rel.relrowsecurity
             OR (pg_has_role(rel.relowner, 'USAGE') AND NOT rel.relforcerowsecurity)
             OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = current_user AND (r.rolsuper OR r.rolbypassrls)) THEN
            SELECT coalesce(array_agg(g), '{}') INTO visible FROM generate_series(1, jsonb_array_length(rows)) g;
            RETURN;
          END IF;

          BEGIN
            -- From here on the role's search_path applies (until this function returns): every name is qualified and
            -- every operator spelled OPERATOR(pg_catalog.…).
            PERFORM pg_catalog.set_config('search_path', sluice.role_search_path(), true);
            -- One statement, so one snapshot (a policy replaced meanwhile cannot mix old and new): the applicable SELECT
            -- policies (deparsed under that path, so a name is qualified exactly where the path would find something
            -- else), the table's columns, and the columns the policies read (their dependencies; all of them for a
            -- whole-row reference).
            WITH applicable AS (
              SELECT p.oid, p.polpermissive, pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual,
                     -- A whole-row reference (f(messages)) leaves no column dependency: found in the expression tree.
                     pg_catalog.strpos(CAST(p.polqual AS pg_catalog.text), ':varattno 0 ') OPERATOR(pg_catalog.>) 0 AS whole_row
              FROM pg_catalog.pg_policy AS p
              WHERE p.polrelid OPERATOR(pg_catalog.=) tbl
                AND p.polcmd OPERATOR(pg_catalog.=) ANY ('{r,*}'::pg_catalog."char"[])
                AND p.polqual IS NOT NULL
                AND (0::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (p.polroles)
                     OR EXISTS (SELECT 1 FROM pg_catalog.unnest(p.polroles) AS r(role)
                                WHERE r.role OPERATOR(pg_catalog.<>) 0::pg_catalog.oid AND pg_catalog.pg_has_role(r.role, 'USAGE'))))
            SELECT (SELECT pg_catalog.string_agg(pg_catalog.format('(%s)', x.qual), ' OR ' ORDER BY x.oid) FROM applicable AS x WHERE x.polpermissive),
                   (SELECT pg_catalog.string_agg(pg_catalog.format('(%s)', x.qual), ' AND ' ORDER BY x.oid) FROM applicable AS x WHERE NOT x.polpermissive),
                   (SELECT pg_catalog.string_agg(pg_catalog.format('CAST(sluice_row OPERATOR(pg_catalog.->>) %L::pg_catalog.text AS %s) AS %I',
                                                                   a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attname), ', ' ORDER BY a.attnum)
                      FROM pg_catalog.pg_attribute AS a
                     WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped),
                   (SELECT pg_catalog.string_agg(pg_catalog.format('pg_catalog.jsonb_exists(sluice_row, %L::pg_catalog.text)', a.attname), ' AND ' ORDER BY a.attnum)
                      FROM pg_catalog.pg_attribute AS a
                     WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
                       AND (EXISTS (SELECT 1 FROM applicable AS x WHERE x.whole_row)
                            OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend AS d JOIN applicable AS x ON d.objid OPERATOR(pg_catalog.=) x.oid
                                       WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_policy'::pg_catalog.regclass
                                         AND d.deptype OPERATOR(pg_catalog.=) 'n'::pg_catalog."char"
                                         AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                         AND d.refobjid OPERATOR(pg_catalog.=) tbl
                                         AND d.refobjsubid OPERATOR(pg_catalog.=) CAST(a.attnum AS pg_catalog.int4))))
              INTO permissive, restrictive, columns, known;
            IF permissive IS NULL THEN
              RETURN; -- no permissive policy applies: no row is visible
            END IF;
            EXECUTE pg_catalog.format(
              'SELECT pg_catalog.array_agg(sluice_position ORDER BY sluice_position) FILTER (WHERE CASE WHEN sluice_known THEN (%s)%s ELSE false END), '
              '       pg_catalog.array_agg(sluice_position ORDER BY sluice_position) FILTER (WHERE NOT sluice_known) '
              'FROM pg_catalog.jsonb_array_elements($1) WITH ORDINALITY AS sluice_rows(sluice_row, sluice_ordinal), '
              'LATERAL (SELECT CAST(sluice_ordinal AS pg_catalog.int4) AS sluice_position, %s AS sluice_known) AS sluice_check, '
              'LATERAL (SELECT %s) AS %I',
              permissive, CASE WHEN restrictive IS NULL THEN '' ELSE pg_catalog.concat(' AND ', restrictive) END,
              coalesce(known, 'true'), coalesce(columns, ''), rel.relname)
              INTO visible, unknown USING rows;
            visible := coalesce(visible, '{}');
            unknown := coalesce(unknown, '{}');
          EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS error_state = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT;
            visible := '{}';
            unknown := '{}';
          END;
        END
        $fn$;
        GRANT USAGE ON SCHEMA sluice TO PUBLIC;
        REVOKE ALL ON sluice.slot_epochs FROM PUBLIC;
        COMMENT ON FUNCTION sluice.visible_rows(oid, jsonb) IS 'Sluice: which captured rows the current role and JWT claims may see under the table''s row-level security; unknown: rows lacking a value the policies read.';

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
