using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Server.Database;

namespace Sluice.IntegrationTests;

/// <summary>Supabase's <c>realtime</c> SQL API as Sluice installs it into a database that has none.</summary>
public sealed class RealtimeSchemaTests(PostgresFixture postgres) : ServerTest(postgres)
{
    [Fact]
    public async Task Send_writes_one_broadcast_row_whose_payload_carries_the_row_id()
    {
        await Database.ExecuteAsync("""SELECT realtime.send('{"a":1}'::jsonb, 'evt', 'room1', false)""");

        await using var connection = await Database.OpenAsync();
        await using var read = new NpgsqlCommand(
            "SELECT topic, extension, private, event, payload::text, id, inserted_at::date, tableoid::regclass::text FROM realtime.messages", connection);
        await using var reader = await read.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("room1", reader.GetString(0));
        Assert.Equal("broadcast", reader.GetString(1));
        Assert.False(reader.GetBoolean(2));
        Assert.Equal("evt", reader.GetString(3));
        using var payload = JsonDocument.Parse(reader.GetString(4));
        Assert.Equal(1, payload.RootElement.GetProperty("a").GetInt32());
        Assert.Equal(reader.GetGuid(5), payload.RootElement.GetProperty("id").GetGuid());
        Assert.Equal(2, payload.RootElement.EnumerateObject().Count());
        // Stored in the day's partition, created at start-up.
        Assert.Equal("realtime." + RealtimeMessagesPartitions.PartitionName(DateOnly.FromDateTime(reader.GetDateTime(6))), reader.GetString(7));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task Send_keeps_a_payload_id_of_its_own_and_is_private_by_default()
    {
        await Database.ExecuteAsync("""SELECT realtime.send('{"id":"mine","b":2}'::jsonb, 'evt', 'room2')""");

        Assert.Equal("mine", await Database.ScalarAsync<string>("SELECT payload->>'id' FROM realtime.messages WHERE topic = 'room2'"));
        Assert.Equal(2L, await Database.ScalarAsync<long>("SELECT (payload->>'b')::bigint FROM realtime.messages WHERE topic = 'room2'"));
        Assert.True(await Database.ScalarAsync<bool>("SELECT private FROM realtime.messages WHERE topic = 'room2'"));
        Assert.NotEqual("mine", await Database.ScalarAsync<string>("SELECT id::text FROM realtime.messages WHERE topic = 'room2'"));
    }

    [Fact]
    public async Task Topic_is_the_sent_topic_for_the_rest_of_the_senders_transaction_only()
    {
        await using var connection = await Database.OpenAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using (var send = new NpgsqlCommand("""SELECT realtime.send('{}'::jsonb, 'evt', 'room:42', true)""", connection, transaction))
                await send.ExecuteNonQueryAsync();
            await using var topic = new NpgsqlCommand("SELECT realtime.topic()", connection, transaction);
            Assert.Equal("room:42", await topic.ExecuteScalarAsync());
            await transaction.CommitAsync();
        }
        await using var after = new NpgsqlCommand("SELECT realtime.topic()", connection);
        Assert.Equal(DBNull.Value, await after.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_send_refused_by_row_level_security_is_only_a_warning_and_the_callers_transaction_commits()
    {
        var role = Database.Name + "_sender";
        await Database.ExecuteAsync($"CREATE ROLE \"{role}\"");
        try
        {
            await Database.ExecuteAsync("CREATE TABLE public.orders (id int PRIMARY KEY)");
            await Database.ExecuteAsync($"GRANT INSERT ON public.orders TO \"{role}\"");
            // Writes are allowed for one topic only, checked through realtime.topic() as Supabase's policies are.
            await Database.ExecuteAsync($"""
                CREATE POLICY sender_writes ON realtime.messages FOR INSERT TO "{role}"
                WITH CHECK (realtime.topic() = 'allowed' AND realtime.messages.extension = 'broadcast')
                """);

            await using var connection = await Database.OpenAsync();
            var warnings = new List<string>();
            connection.Notice += (_, e) =>
            {
                if (e.Notice.InvariantSeverity == "WARNING")
                    warnings.Add(e.Notice.MessageText);
            };
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await using (var become = new NpgsqlCommand($"SET LOCAL ROLE \"{role}\"", connection, transaction))
                    await become.ExecuteNonQueryAsync();
                await using (var insert = new NpgsqlCommand("INSERT INTO public.orders VALUES (1)", connection, transaction))
                    await insert.ExecuteNonQueryAsync();
                await using (var refused = new NpgsqlCommand("""SELECT realtime.send('{"n":1}'::jsonb, 'evt', 'forbidden', true)""", connection, transaction))
                    await refused.ExecuteNonQueryAsync();
                await using (var allowed = new NpgsqlCommand("""SELECT realtime.send('{"n":2}'::jsonb, 'evt', 'allowed', true)""", connection, transaction))
                    await allowed.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
            }

            var warning = Assert.Single(warnings);
            Assert.StartsWith("WarnSendingBroadcastMessage: new row violates row-level security policy", warning, StringComparison.Ordinal);
            Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM public.orders"));
            Assert.Equal("allowed", await Database.ScalarAsync<string>("SELECT string_agg(topic, ',') FROM realtime.messages"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Database.ExecuteAsync($"DROP OWNED BY \"{role}\"");
            await Database.ExecuteAsync($"DROP ROLE \"{role}\"");
        }
    }

    [Fact]
    public async Task Broadcast_changes_in_a_row_trigger_writes_each_change_as_a_private_message()
    {
        await Database.ExecuteAsync("CREATE TABLE public.notes (id bigint PRIMARY KEY, body text)");
        // The trigger as Supabase's documentation writes it.
        await Database.ExecuteAsync("""
            CREATE OR REPLACE FUNCTION public.notes_changes() RETURNS trigger
            SECURITY DEFINER LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM realtime.broadcast_changes(
                'topic:' || COALESCE(NEW.id, OLD.id)::text, -- topic
                TG_OP,                                      -- event
                TG_OP,                                      -- operation
                TG_TABLE_NAME,                              -- table
                TG_TABLE_SCHEMA,                            -- schema
                NEW,                                        -- new record
                OLD                                         -- old record
              );
              RETURN NULL;
            END;
            $$
            """);
        await Database.ExecuteAsync("""
            CREATE TRIGGER handle_notes_changes AFTER INSERT OR UPDATE OR DELETE ON public.notes
            FOR EACH ROW EXECUTE FUNCTION public.notes_changes()
            """);

        await Database.ExecuteAsync("INSERT INTO public.notes VALUES (7, 'first')");
        await Database.ExecuteAsync("UPDATE public.notes SET body = 'second' WHERE id = 7");
        await Database.ExecuteAsync("DELETE FROM public.notes WHERE id = 7");

        Assert.Equal(3L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime.messages"));
        using (var insert = await MessageAsync("INSERT"))
        {
            var payload = insert.RootElement.GetProperty("payload");
            Assert.Equal(JsonValueKind.Null, payload.GetProperty("old_record").ValueKind);
            Assert.Equal("""{"id": 7, "body": "first"}""", payload.GetProperty("record").GetRawText());
            Assert.Equal("notes", payload.GetProperty("table").GetString());
            Assert.Equal("public", payload.GetProperty("schema").GetString());
            Assert.Equal("INSERT", payload.GetProperty("operation").GetString());
            Assert.Equal(insert.RootElement.GetProperty("id").GetString(), payload.GetProperty("id").GetString());
            Assert.Equal(6, payload.EnumerateObject().Count());
        }
        using (var update = await MessageAsync("UPDATE"))
        {
            var payload = update.RootElement.GetProperty("payload");
            Assert.Equal("""{"id": 7, "body": "first"}""", payload.GetProperty("old_record").GetRawText());
            Assert.Equal("""{"id": 7, "body": "second"}""", payload.GetProperty("record").GetRawText());
            Assert.Equal("UPDATE", payload.GetProperty("operation").GetString());
        }
        using (var delete = await MessageAsync("DELETE"))
        {
            var payload = delete.RootElement.GetProperty("payload");
            Assert.Equal("""{"id": 7, "body": "second"}""", payload.GetProperty("old_record").GetRawText());
            Assert.Equal(JsonValueKind.Null, payload.GetProperty("record").ValueKind);
            Assert.Equal("DELETE", payload.GetProperty("operation").GetString());
        }
    }

    [Theory]
    [InlineData("INSERT", "STATEMENT", "Failed to process the row: function can only be triggered for each row, not for each statement")]
    [InlineData("TRUNCATE", "ROW", "Failed to process the row: Unexpected operation type: TRUNCATE")]
    public async Task Broadcast_changes_refuses_statement_level_and_other_operations(string operation, string level, string message)
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => Database.ExecuteAsync(
            "SELECT realtime.broadcast_changes('t', 'e', $1, 'notes', 'public', ROW(1), ROW(1), $2)", operation, level));
        Assert.Equal(message, error.MessageText);
        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime.messages"));
    }

    [Fact]
    public async Task A_supabase_read_policy_on_messages_can_be_created_and_without_one_nobody_reads()
    {
        var role = Database.Name + "_authenticated";
        // Roles are cluster-wide: tolerate one left behind by an interrupted run.
        await Database.ExecuteAsync($"""
            DO $$ BEGIN CREATE ROLE "{role}"; EXCEPTION WHEN duplicate_object THEN NULL; END $$
            """);
        try
        {
            await Database.ExecuteAsync("""SELECT realtime.send('{"n":1}'::jsonb, 'evt', 'room', true)""");
            await Database.ExecuteAsync("""SELECT realtime.send('{"n":2}'::jsonb, 'evt', 'lobby', true)""");
            Assert.Equal(0L, await CountAsRoleAsync(role, "room"));

            await Database.ExecuteAsync($"""
                CREATE POLICY "authenticated can receive broadcasts" ON realtime.messages FOR SELECT TO "{role}"
                USING (realtime.topic() = 'room' AND realtime.messages.extension = 'broadcast')
                """);

            // As Supabase checks it: for the topic being joined, the policy admits (here every broadcast row) or not.
            Assert.Equal(2L, await CountAsRoleAsync(role, "room"));
            Assert.Equal(0L, await CountAsRoleAsync(role, "lobby"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Database.ExecuteAsync($"DROP OWNED BY \"{role}\"");
            await Database.ExecuteAsync($"DROP ROLE \"{role}\"");
        }
    }

    [Fact]
    public async Task The_schema_is_as_supabase_has_it_and_messages_are_in_sluices_publication()
    {
        Assert.Equal(
            "topic text NOT NULL, extension text NOT NULL, payload jsonb, event text, private boolean DEFAULT false, "
            + "updated_at timestamp without time zone NOT NULL DEFAULT now(), inserted_at timestamp without time zone NOT NULL DEFAULT now(), "
            + "id uuid NOT NULL DEFAULT gen_random_uuid(), binary_payload bytea",
            await Database.ScalarAsync<string>("""
                SELECT string_agg(format('%s %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                                         CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                                         coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')), ', ' ORDER BY a.attnum)
                FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE a.attrelid = 'realtime.messages'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                """));
        Assert.Equal("PRIMARY KEY (id, inserted_at)", await Database.ScalarAsync<string>(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'realtime.messages'::regclass AND conname = 'messages_pkey'"));
        Assert.Equal("CHECK (((payload IS NULL) OR (binary_payload IS NULL)))", await Database.ScalarAsync<string>(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'realtime.messages'::regclass AND conname = 'messages_payload_exclusive'"));
        Assert.Equal("RANGE (inserted_at)", await Database.ScalarAsync<string>("SELECT pg_get_partkeydef('realtime.messages'::regclass)"));
        Assert.True(await Database.ScalarAsync<bool>("SELECT relrowsecurity AND NOT relforcerowsecurity FROM pg_class WHERE oid = 'realtime.messages'::regclass"));
        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM pg_policy WHERE polrelid = 'realtime.messages'::regclass"));
        Assert.Equal("INSERT,SELECT,UPDATE", await Database.ScalarAsync<string>(
            "SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) FROM information_schema.role_table_grants WHERE table_schema = 'realtime' AND table_name = 'messages' AND grantee = 'PUBLIC'"));
        Assert.True(await Database.ScalarAsync<bool>("SELECT has_schema_privilege('public', 'realtime', 'USAGE')"));
        Assert.Contains("(inserted_at DESC, topic) WHERE ((extension = 'broadcast'::text) AND (private IS TRUE))", await Database.ScalarAsync<string>(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'realtime' AND indexname = 'messages_inserted_at_topic_index'"), StringComparison.Ordinal);
        foreach (var function in new[] { "realtime.topic()", "realtime.send(jsonb, text, text, boolean)", "realtime.broadcast_changes(text, text, text, text, text, record, record, text)" })
            Assert.StartsWith("Sluice: created by Sluice", await Database.ScalarAsync<string>("SELECT obj_description(to_regprocedure($1), 'pg_proc')", function), StringComparison.Ordinal);
        Assert.StartsWith("Sluice: created by Sluice", await Database.ScalarAsync<string>("SELECT obj_description('realtime.messages'::regclass, 'pg_class')"), StringComparison.Ordinal);
        Assert.StartsWith("Sluice: created by Sluice", await Database.ScalarAsync<string>("SELECT obj_description('realtime'::regnamespace, 'pg_namespace')"), StringComparison.Ordinal);

        Assert.Equal(1L, await Database.ScalarAsync<long>(
            "SELECT count(*) FROM pg_publication_tables WHERE pubname = $1 AND schemaname = 'realtime' AND tablename = 'messages'", Database.PublicationName));
    }

    [Fact]
    public async Task Installing_again_changes_nothing()
    {
        const string Fingerprint = """
            SELECT concat_ws(' | ',
              (SELECT xmin::text || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'realtime'),
              (SELECT string_agg(c.relname || ':' || c.oid || ':' || c.xmin, ',' ORDER BY c.relname) FROM pg_class c WHERE c.relnamespace = 'realtime'::regnamespace),
              (SELECT string_agg(p.proname || ':' || p.oid || ':' || p.xmin, ',' ORDER BY p.proname) FROM pg_proc p WHERE p.pronamespace = 'realtime'::regnamespace),
              (SELECT string_agg(d.objoid || ':' || d.xmin, ',' ORDER BY d.objoid) FROM pg_description d
                 WHERE d.objoid IN (SELECT oid FROM pg_class WHERE relnamespace = 'realtime'::regnamespace
                                    UNION ALL SELECT oid FROM pg_proc WHERE pronamespace = 'realtime'::regnamespace
                                    UNION ALL SELECT 'realtime'::regnamespace::oid)),
              (SELECT string_agg(r.prrelid || ':' || r.xmin, ',') FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid WHERE p.pubname = $1))
            """;
        var before = await Database.ScalarAsync<string>(Fingerprint, Database.PublicationName);
        Assert.Contains("send:", before, StringComparison.Ordinal);
        Assert.Contains("messages:", before, StringComparison.Ordinal);

        await RealtimeSchema.InstallAsync(Server.Services.GetRequiredService<NpgsqlDataSource>(), Database.PublicationName, NullLogger.Instance, CancellationToken.None);

        Assert.Equal(before, await Database.ScalarAsync<string>(Fingerprint, Database.PublicationName));
    }

    private async Task<JsonDocument> MessageAsync(string evt)
    {
        var json = await Database.ScalarAsync<string>("""
            SELECT json_build_object('id', id, 'payload', payload, 'topic', topic, 'private', private, 'extension', extension)::text
            FROM realtime.messages WHERE event = $1
            """, evt);
        var message = JsonDocument.Parse(json!);
        Assert.Equal("topic:7", message.RootElement.GetProperty("topic").GetString());
        Assert.True(message.RootElement.GetProperty("private").GetBoolean());
        Assert.Equal("broadcast", message.RootElement.GetProperty("extension").GetString());
        return message;
    }

    private async Task<long> CountAsRoleAsync(string role, string topic)
    {
        await using var connection = await Database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var become = new NpgsqlCommand($"SET LOCAL ROLE \"{role}\"", connection, transaction))
            await become.ExecuteNonQueryAsync();
        await using (var join = new NpgsqlCommand("SELECT set_config('realtime.topic', $1, true)", connection, transaction))
        {
            join.Parameters.Add(new NpgsqlParameter { Value = topic });
            await join.ExecuteNonQueryAsync();
        }
        await using var count = new NpgsqlCommand("SELECT count(*) FROM realtime.messages", connection, transaction);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
