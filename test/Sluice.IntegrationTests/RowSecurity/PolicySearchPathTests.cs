using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// Issue 15, item 4: a policy that calls a helper function whose body names tables without a schema works as it does for
/// a client session of the subscriber's role: with that role's <c>search_path</c> (here set for the role in this
/// database). Objects planted in that path cannot take over Sluice's own evaluation.
/// </summary>
public sealed class PolicySearchPathTests(PostgresFixture postgres) : FailClosedTest(postgres)
{
    private async Task CreateMembershipPolicyAsync()
    {
        await CreateMessagesAsync();
        await Database.ExecuteAsync($"""
            CREATE SCHEMA app;
            GRANT USAGE ON SCHEMA app TO {Member};
            CREATE TABLE app.memberships (user_id text NOT NULL, organization_id int NOT NULL);
            GRANT SELECT ON app.memberships TO {Member};
            INSERT INTO app.memberships VALUES ('user-of-1', 1);
            SET check_function_bodies = off;
            CREATE FUNCTION public.is_member(organization int) RETURNS boolean LANGUAGE sql STABLE
              AS $$ SELECT EXISTS (SELECT 1 FROM memberships
                                   WHERE user_id = current_setting('request.jwt.claim.sub', true) AND organization_id = organization) $$;
            DROP POLICY organization_members ON public.messages;
            CREATE POLICY organization_members ON public.messages FOR SELECT TO {Member} USING (public.is_member(organization_id));
            ALTER ROLE {Member} IN DATABASE "{Database.Name}" SET search_path = app, pg_catalog, public;
            """);
    }

    [Theory]
    [InlineData(Wire.Native)]
    [InlineData(Wire.Supabase)]
    public async Task A_policy_helper_resolves_its_tables_with_the_roles_search_path(Wire wire)
    {
        await CreateMembershipPolicyAsync();
        var member = await SubscribeAsync(wire, TokenFor(1), "messages");

        await InsertAsync(1, 1, "mine");
        await InsertAsync(2, 2, "not mine");
        await InsertAsync(3, 1, "marker");

        var seen = await member.UntilRowAsync("body", "marker");
        Assert.Equal(["mine", "marker"], seen.Where(d => d.IsChange).Select(d => d.Value("body")));
        Assert.DoesNotContain(seen, d => d.Kind == "error");
    }

    [Fact]
    public async Task A_snapshot_and_the_rows_endpoint_use_the_roles_search_path_too()
    {
        await CreateMembershipPolicyAsync();
        // Planted where the snapshot's own statements would find them if they ran unqualified under the role's path.
        await Database.ExecuteAsync("""
            CREATE FUNCTION app.pg_current_snapshot() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked snapshot'; END $$;
            CREATE FUNCTION app.pg_current_wal_insert_lsn() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked lsn'; END $$;
            """);
        await InsertAsync(1, 1, "mine");
        await InsertAsync(2, 2, "not mine");

        await using var client = await ConnectWithTokenAsync(TokenFor(1));
        await client.SendAsync(new { type = "subscribe", channel = Channel, snapshot = true });
        var ack = await client.NextAsync();
        Assert.True(ack.GetProperty("type").GetString() == "ack", $"expected ack, got {ack}");
        var snapshot = await client.NextAsync();
        Assert.True(snapshot.GetProperty("type").GetString() == "snapshot", $"expected the snapshot, got {snapshot}");
        Assert.Equal([1L], snapshot.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("id").GetInt64()));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tables/public.messages/rows");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TokenFor(1));
        using var response = await Server.Http.SendAsync(request);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        Assert.Equal([1L], body.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("id").GetInt64()));
    }

    [Theory]
    [InlineData(Wire.Native)]
    [InlineData(Wire.Supabase)]
    public async Task Functions_and_operators_planted_in_the_roles_search_path_do_not_take_over_the_evaluation(Wire wire)
    {
        await CreateMembershipPolicyAsync();
        // The role's path puts app before pg_catalog: an unqualified call in Sluice's own SQL would reach these.
        await Database.ExecuteAsync("""
            CREATE FUNCTION app.hijacked(jsonb, text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked ->>'; END $$;
            CREATE OPERATOR app.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = app.hijacked);
            CREATE FUNCTION app.jsonb_array_elements(jsonb) RETURNS SETOF jsonb LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked elements'; END $$;
            CREATE FUNCTION app.set_config(text, text, boolean) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked set_config'; END $$;
            CREATE FUNCTION app.array_agg(integer) RETURNS integer[] LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked array_agg'; END $$;
            """);
        var member = await SubscribeAsync(wire, TokenFor(1), "messages");

        await InsertAsync(1, 1, "mine");
        await InsertAsync(2, 2, "not mine");
        await InsertAsync(3, 1, "marker");

        var seen = await member.UntilRowAsync("body", "marker");
        Assert.Equal(["mine", "marker"], seen.Where(d => d.IsChange).Select(d => d.Value("body")));
        Assert.DoesNotContain(seen, d => d.Kind == "error");
    }
}
