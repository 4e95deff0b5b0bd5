using Npgsql;

namespace Sluice.Server.Database;

/// <summary>
/// Installs Supabase's <c>realtime</c> SQL API where it is absent, so the SQL a Supabase app documents
/// (<c>realtime.send</c>, <c>realtime.broadcast_changes</c> in triggers, policies on <c>realtime.messages</c> using
/// <c>realtime.topic()</c>) runs unchanged: the schema, the table <c>realtime.messages</c> (partitioned by day on
/// <c>inserted_at</c>, row-level security on and no policy, so nobody but its owner reads or writes it until policies say
/// so) and the three functions. Each object is created only when absent and nothing that exists is altered or replaced: a
/// Supabase database keeps its own. Then <c>realtime.messages</c> joins Sluice's publication (its partitions' rows are
/// published as <c>realtime.messages</c>, the publication has <c>publish_via_partition_root</c>); when that is refused
/// (a Supabase table Sluice's role does not own) a warning is logged and start-up goes on. Runs in its own transaction
/// under <see cref="SqlApi"/>'s advisory lock. Only installs: delivering these rows to channels is not done here.
/// </summary>
internal static partial class RealtimeSchema
{
    /// <summary>The lock <see cref="SqlApi"/> installs under: installers of both serialize.</summary>
    private const long InstallLock = 7305186172619410227;

    private const string Objects = """
        -- Presence is read from the catalogs (as to_regclass and to_regprocedure would tell it, but without their
        -- permission error when Sluice's role may not use a schema someone else owns).
        DO $do$
        DECLARE
          ns oid := (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = 'realtime');
        BEGIN
          IF ns IS NULL THEN
            CREATE SCHEMA realtime;
            GRANT USAGE ON SCHEMA realtime TO PUBLIC;
            COMMENT ON SCHEMA realtime IS 'Sluice: created by Sluice (absent at its start): Supabase''s realtime SQL API.';
            ns := 'realtime'::regnamespace;
          END IF;

          IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = ns AND c.relname = 'messages') THEN
            -- Supabase's final shape: daily range partitions on inserted_at (Sluice creates them), key (id, inserted_at).
            CREATE TABLE realtime.messages (
              topic text NOT NULL,
              extension text NOT NULL,
              payload jsonb,
              event text,
              private boolean DEFAULT false,
              updated_at timestamp without time zone NOT NULL DEFAULT pg_catalog.now(),
              inserted_at timestamp without time zone NOT NULL DEFAULT pg_catalog.now(),
              id uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
              binary_payload bytea,
              CONSTRAINT messages_pkey PRIMARY KEY (id, inserted_at),
              CONSTRAINT messages_payload_exclusive CHECK (payload IS NULL OR binary_payload IS NULL)
            ) PARTITION BY RANGE (inserted_at);
            -- Policies decide who reads and writes; without one nobody but the owner does (fail closed).
            ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
            GRANT SELECT, INSERT, UPDATE ON realtime.messages TO PUBLIC;
            -- The replay lookup: a topic's newest private broadcasts.
            CREATE INDEX messages_inserted_at_topic_index ON realtime.messages USING btree (inserted_at DESC, topic)
              WHERE extension = 'broadcast' AND private IS TRUE;
            COMMENT ON TABLE realtime.messages IS 'Sluice: created by Sluice (absent at its start): broadcast messages written by realtime.send, partitioned by day; Sluice creates the partitions and drops those past its retention.';
          END IF;

          IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = ns AND p.proname = 'topic'
                         AND pg_catalog.oidvectortypes(p.proargtypes) = '') THEN
            CREATE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE
            AS $fn$ SELECT nullif(pg_catalog.current_setting('realtime.topic', true), '') $fn$;
            COMMENT ON FUNCTION realtime.topic() IS 'Sluice: created by Sluice (absent at its start): the topic of the message being written or checked (the realtime.topic setting), NULL when unset.';
          END IF;

          IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = ns AND p.proname = 'send'
                         AND pg_catalog.oidvectortypes(p.proargtypes) = 'jsonb, text, text, boolean') THEN
            -- Runs as the caller, so the INSERT policies of realtime.messages apply; never fails the caller's transaction.
            CREATE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true)
            RETURNS void LANGUAGE plpgsql VOLATILE
            AS $fn$
            DECLARE
              message_id uuid := pg_catalog.gen_random_uuid();
            BEGIN
              BEGIN
                -- Transaction-local, as SET LOCAL: INSERT policies (WITH CHECK) see it through realtime.topic().
                PERFORM pg_catalog.set_config('realtime.topic', topic, true);
                INSERT INTO realtime.messages (id, payload, event, topic, private, extension)
                VALUES (message_id,
                        CASE WHEN pg_catalog.jsonb_exists(payload, 'id') THEN payload
                             ELSE pg_catalog.jsonb_set(payload, '{id}', pg_catalog.to_jsonb(message_id)) END,
                        event, topic, private, 'broadcast');
              EXCEPTION WHEN OTHERS THEN
                RAISE WARNING 'WarnSendingBroadcastMessage: %', SQLERRM;
              END;
            END
            $fn$;
            COMMENT ON FUNCTION realtime.send(jsonb, text, text, boolean) IS 'Sluice: created by Sluice (absent at its start): writes a broadcast message to realtime.messages as the caller (payload.id added unless present); a failure is only a WARNING.';
          END IF;

          IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = ns AND p.proname = 'broadcast_changes'
                         AND pg_catalog.oidvectortypes(p.proargtypes) = 'text, text, text, text, text, record, record, text') THEN
            -- For row triggers: broadcasts the row change as {old_record, record, operation, table, schema} (private).
            CREATE FUNCTION realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text,
                                                       table_schema text, new record, old record, level text DEFAULT 'ROW')
            RETURNS void LANGUAGE plpgsql VOLATILE
            AS $fn$
            BEGIN
              IF level = 'STATEMENT' THEN
                RAISE EXCEPTION 'function can only be triggered for each row, not for each statement';
              END IF;
              IF operation IN ('INSERT', 'UPDATE', 'DELETE') THEN
                PERFORM realtime.send(
                  pg_catalog.jsonb_build_object('old_record', old, 'record', new, 'operation', operation,
                                                'table', table_name, 'schema', table_schema),
                  event_name, topic_name);
              ELSE
                RAISE EXCEPTION 'Unexpected operation type: %', operation;
              END IF;
            EXCEPTION WHEN OTHERS THEN
              RAISE EXCEPTION 'Failed to process the row: %', SQLERRM;
            END
            $fn$;
            COMMENT ON FUNCTION realtime.broadcast_changes(text, text, text, text, text, record, record, text) IS 'Sluice: created by Sluice (absent at its start): for row triggers, broadcasts the change (old_record, record, operation, table, schema) through realtime.send as a private message.';
          END IF;
        END
        $do$;
        """;

    /// <summary>
    /// Whether <c>realtime.messages</c> is a table that is not yet in the publication ($1): not when it is absent or not a
    /// table, already listed, or covered by a FOR ALL TABLES or FOR TABLES IN SCHEMA publication.
    /// </summary>
    private const string NeedsPublishing = """
        SELECT c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication p WHERE p.pubname = $1 AND p.puballtables)
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication p
                               JOIN pg_catalog.pg_publication_rel r ON r.prpubid = p.oid
                               WHERE p.pubname = $1 AND r.prrelid = c.oid)
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables t
                               WHERE t.pubname = $1 AND t.schemaname = 'realtime' AND t.tablename = 'messages')
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'realtime' AND c.relname = 'messages'
        """;

    /// <summary>Creates what is absent of the <c>realtime</c> API and adds <c>realtime.messages</c> to <paramref name="publicationName"/>.</summary>
    public static async Task InstallAsync(NpgsqlDataSource dataSource, string publicationName, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_catalog.pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = InstallLock });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        // Missing parts of a realtime schema Sluice's role may not create in (a Supabase one) are not Sluice's to add.
        await transaction.SaveAsync("realtime_objects", cancellationToken);
        try
        {
            await using var objects = new NpgsqlCommand(Objects, connection, transaction);
            await objects.ExecuteNonQueryAsync(cancellationToken);
            await transaction.ReleaseAsync("realtime_objects", cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await transaction.RollbackAsync("realtime_objects", cancellationToken);
            LogNotInstalled(logger, DatabaseErrors.OneLine(ex));
        }

        bool publish;
        await using (var check = new NpgsqlCommand(NeedsPublishing, connection, transaction))
        {
            check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = publicationName });
            publish = await check.ExecuteScalarAsync(cancellationToken) is true;
        }
        if (publish)
        {
            // A refusal (Sluice's role does not own a Supabase realtime.messages) must not undo the rest, nor stop start-up.
            await transaction.SaveAsync("publish_messages", cancellationToken);
            try
            {
                await using var add = new NpgsqlCommand(
                    $"ALTER PUBLICATION {QuoteIdentifier(publicationName)} ADD TABLE realtime.messages", connection, transaction);
                await add.ExecuteNonQueryAsync(cancellationToken);
                await transaction.ReleaseAsync("publish_messages", cancellationToken);
            }
            catch (PostgresException ex)
            {
                await transaction.RollbackAsync("publish_messages", cancellationToken);
                LogNotPublished(logger, publicationName, DatabaseErrors.OneLine(ex),
                    $"ALTER PUBLICATION {QuoteIdentifier(publicationName)} ADD TABLE realtime.messages");
            }
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Cannot create what is missing of the realtime schema ({Reason}); Sluice starts without it (realtime.send and realtime.messages as they are)")]
    private static partial void LogNotInstalled(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Cannot add realtime.messages to publication {Publication} ({Reason}); Sluice starts without its rows; a role owning both (or a superuser) can add it: {Fix}")]
    private static partial void LogNotPublished(ILogger logger, string publication, string reason, string fix);
}
