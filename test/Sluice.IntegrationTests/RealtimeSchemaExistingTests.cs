using Npgsql;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests;

/// <summary>A database that has a <c>realtime</c> schema of its own (as a Supabase database has) keeps it as it was.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RealtimeSchemaExistingTests(PostgresFixture postgres)
{
    private const string TheirSend = """
        BEGIN
          INSERT INTO realtime.messages (topic, body) VALUES (topic, payload::text || '/' || event || '/' || private::text);
        END
        """;

    [Fact]
    public async Task An_existing_send_and_messages_are_left_as_they_were_and_sluice_still_starts()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await database.ExecuteAsync("CREATE SCHEMA realtime");
        // Not partitioned, other columns, no row-level security: nothing Sluice would create.
        await database.ExecuteAsync("CREATE TABLE realtime.messages (id bigserial PRIMARY KEY, topic text NOT NULL, body text)");
        await database.ExecuteAsync($"""
            CREATE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true)
            RETURNS void LANGUAGE plpgsql AS $fn$
            {TheirSend}
            $fn$
            """);
        const string Shape = """
            SELECT concat_ws(' | ',
              (SELECT coalesce(nspacl::text, 'no grants') FROM pg_namespace WHERE nspname = 'realtime'),
              (SELECT relkind::text || ':' || relrowsecurity || ':' || coalesce(relacl::text, 'no grants') FROM pg_class WHERE oid = 'realtime.messages'::regclass),
              (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute
                 WHERE attrelid = 'realtime.messages'::regclass AND attnum > 0 AND NOT attisdropped),
              (SELECT string_agg(indexrelid::regclass::text, ',' ORDER BY 1) FROM pg_index WHERE indrelid = 'realtime.messages'::regclass),
              (SELECT count(*)::text FROM pg_inherits WHERE inhparent = 'realtime.messages'::regclass),
              coalesce(obj_description('realtime.messages'::regclass, 'pg_class'), 'no comment'),
              coalesce(obj_description('realtime'::regnamespace, 'pg_namespace'), 'no comment'),
              (SELECT p.xmin::text || ':' || p.prosrc || ':' || coalesce(obj_description(p.oid, 'pg_proc'), 'no comment')
                 FROM pg_proc p WHERE p.oid = to_regprocedure('realtime.send(jsonb, text, text, boolean)')))
            """;
        var before = await database.ScalarAsync<string>(Shape);
        Assert.Contains(TheirSend, before, StringComparison.Ordinal);
        Assert.Contains("r:false:no grants", before, StringComparison.Ordinal);

        await using (var server = await ServerHandle.StartAsync(database))
        {
            Assert.Equal(before, await database.ScalarAsync<string>(Shape));
            // What was absent is created; their send still writes their way.
            Assert.NotNull(await database.ScalarAsync<string>("SELECT to_regprocedure('realtime.topic()')::text"));
            Assert.NotNull(await database.ScalarAsync<string>(
                "SELECT to_regprocedure('realtime.broadcast_changes(text, text, text, text, text, record, record, text)')::text"));
            await database.ExecuteAsync("""SELECT realtime.send('{"a":1}'::jsonb, 'evt', 'room1', false)""");
            Assert.Equal("""{"a": 1}/evt/false""", await database.ScalarAsync<string>("SELECT body FROM realtime.messages WHERE topic = 'room1'"));
            // A plain table Sluice's role may add to its publication is added.
            Assert.Equal(1L, await database.ScalarAsync<long>(
                "SELECT count(*) FROM pg_publication_tables WHERE pubname = $1 AND schemaname = 'realtime' AND tablename = 'messages'", database.PublicationName));
        }

        // Starting again over what the first start created is fine too, and changes nothing either.
        await using (var again = await ServerHandle.StartAsync(database))
            Assert.Equal(before, await database.ScalarAsync<string>(Shape));
    }

    [Fact]
    public async Task A_realtime_schema_of_another_role_that_sluices_role_may_not_use_is_left_alone_and_sluice_still_starts()
    {
        var database = await postgres.CreateDatabaseAsync();
        var owner = database.Name + "_rtadmin";
        var sluice = database.Name + "_sluice";
        try
        {
            await database.ExecuteAsync($"CREATE ROLE \"{owner}\"");
            await database.ExecuteAsync($"CREATE ROLE \"{sluice}\" LOGIN REPLICATION PASSWORD 'plain-password'");
            await database.ExecuteAsync($"ALTER DATABASE \"{database.Name}\" OWNER TO \"{sluice}\"");
            await database.ExecuteAsync($"ALTER SCHEMA public OWNER TO \"{sluice}\"");
            // As on Supabase: the schema and its partitioned table belong to another role, which Sluice's role is not.
            await database.ExecuteAsync($"CREATE SCHEMA realtime AUTHORIZATION \"{owner}\"");
            await database.ExecuteAsync("""
                CREATE TABLE realtime.messages (topic text NOT NULL, extension text NOT NULL, payload jsonb,
                  inserted_at timestamp NOT NULL DEFAULT now(), id uuid NOT NULL DEFAULT gen_random_uuid(),
                  PRIMARY KEY (id, inserted_at)) PARTITION BY RANGE (inserted_at)
                """);
            await database.ExecuteAsync($"ALTER TABLE realtime.messages OWNER TO \"{owner}\"");

            var asSluice = new TestDatabase(postgres.AdminConnectionString,
                new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = sluice, Password = "plain-password" }.ConnectionString,
                database.Name);
            await using (var server = await ServerHandle.StartAsync(asSluice))
            {
                Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM pg_proc WHERE pronamespace = 'realtime'::regnamespace"));
                Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM pg_inherits WHERE inhparent = 'realtime.messages'::regclass"));
                Assert.Equal(0L, await database.ScalarAsync<long>(
                    "SELECT count(*) FROM pg_publication_tables WHERE pubname = $1 AND schemaname = 'realtime'", database.PublicationName));
                // Sluice's own SQL API is there: the start went on past the realtime schema.
                Assert.NotNull(await database.ScalarAsync<string>("SELECT to_regprocedure('public.enable_realtime(text, text)')::text"));
            }
        }
        finally
        {
            await database.DisposeAsync();
            await using var admin = new NpgsqlConnection(postgres.AdminConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP ROLE IF EXISTS \"{sluice}\"; DROP ROLE IF EXISTS \"{owner}\"", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
