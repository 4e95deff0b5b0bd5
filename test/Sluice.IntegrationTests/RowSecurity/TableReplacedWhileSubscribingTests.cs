using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.IntegrationTests.Supabase;
using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Database;
using Sluice.Server.RowSecurity;
using Sluice.Server.Snapshots;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// Issue 15 (found by the RLS chaos test): a subscribe looks its table up by name, then decides access for the relation it
/// found. A table dropped and recreated under its name between the two queries was refused with <c>forbidden</c> ("no
/// longer exists"), although a table of that name existed. The race is between two queries, so it is staged here
/// deterministically: a lookup is made, the table replaced, and the decision taken with the stale lookup. Also: rows read
/// as Sluice's own user (the decision found no row-level security) are never read from a table that has it by then.
/// </summary>
public sealed class TableReplacedWhileSubscribingTests(PostgresFixture postgres) : FailClosedTest(postgres)
{
    /// <summary>Drops and recreates messages in one transaction, with row-level security and its policy (and the GRANT when <paramref name="granted"/>).</summary>
    private Task ReplaceMessagesAsync(bool granted = true) => Database.ExecuteAsync($"""
        BEGIN;
        DROP TABLE public.messages;
        CREATE TABLE public.messages (id bigint PRIMARY KEY, organization_id int NOT NULL, body text);
        SELECT enable_realtime('public', 'messages');
        ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;
        {(granted ? $"GRANT SELECT ON public.messages TO {Member};" : "")}
        CREATE POLICY organization_members ON public.messages FOR SELECT TO {Member}
          USING (organization_id = (auth.jwt() ->> 'organization_id')::int);
        COMMIT;
        """);

    private static ConnectionIdentity MemberOf1 =>
        new(Member, """{"organization_id":1,"role":"rls_member","sub":"user-of-1"}""", "user-of-1", DateTimeOffset.UtcNow.AddHours(1));

    private T Service<T>() where T : notnull => Server.Services.GetRequiredService<T>();

    private Task<TableLookup> LookUpAsync(string table) => Service<TableCatalog>().LookUpAsync("public", table, CancellationToken.None);

    private Task<uint> CurrentOidAsync(string table) => Database.ScalarAsync<uint>("SELECT $1::regclass::oid", "public." + table);

    [Fact]
    public async Task A_decision_about_a_relation_replaced_since_its_lookup_is_stale_not_a_refusal()
    {
        await CreateMessagesAsync();
        var stale = await LookUpAsync("messages");
        await ReplaceMessagesAsync();

        var decision = await Service<SubscriberAccess>().DecideAsync(stale.Table!, MemberOf1, CancellationToken.None);

        Assert.Null(decision.Refusal);
        Assert.False(decision.Allowed);
        Assert.True(decision.IsStale);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_subscribe_racing_a_replacement_is_decided_for_the_table_that_replaced_it(bool granted)
    {
        await CreateMessagesAsync();
        var stale = await LookUpAsync("messages");
        await ReplaceMessagesAsync(granted);

        var (lookup, decision) = await Service<TableAccessResolver>().ResolveAsync(stale, "public", "messages", MemberOf1, CancellationToken.None);

        // Looked up again: the decision and the lookup are both about the new relation.
        Assert.NotEqual(stale.Table!.RelationId, lookup.Table!.RelationId);
        Assert.Equal(await CurrentOidAsync("messages"), lookup.Table.RelationId);
        if (granted)
        {
            Assert.Equal(AccessDecision.AsRole, decision);
        }
        else
        {
            // A real refusal (of the new table) stays a refusal.
            Assert.False(decision.Allowed);
            Assert.Contains("may not SELECT", decision.Refusal, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_subscribe_racing_a_drop_finds_no_table()
    {
        await CreateMessagesAsync();
        var stale = await LookUpAsync("messages");
        await Database.ExecuteAsync("DROP TABLE public.messages");

        var (lookup, decision) = await Service<TableAccessResolver>().ResolveAsync(stale, "public", "messages", MemberOf1, CancellationToken.None);

        Assert.Null(lookup.Table);
        Assert.False(decision.Allowed);
        Assert.False(decision.IsStale);
    }

    [Theory]
    [InlineData("BEGIN; DROP TABLE public.notices; CREATE TABLE public.notices (id bigint PRIMARY KEY, body text); ALTER TABLE public.notices ENABLE ROW LEVEL SECURITY; COMMIT;")]
    [InlineData("ALTER TABLE public.notices ENABLE ROW LEVEL SECURITY")]
    [InlineData("DROP TABLE public.notices; CREATE TABLE public.notices (id bigint PRIMARY KEY, body text)")]
    public async Task Rows_read_as_the_server_user_come_only_from_the_decided_relation_without_row_level_security(string change)
    {
        await CreateMessagesAsync();
        var stale = await LookUpAsync("notices");
        // A role that does not exist, on a table without row-level security: read as Sluice's own user.
        var decision = await Service<SubscriberAccess>().DecideAsync(stale.Table!, ConnectionIdentity.Anonymous("rls_role_that_does_not_exist"), CancellationToken.None);
        Assert.Equal(AccessDecision.AsServer, decision);

        await Database.ExecuteAsync(change);
        // Sluice's user is a superuser here, which row-level security never restricts: read, the row would be out.
        await Database.ExecuteAsync($"INSERT INTO public.notices VALUES (1, '{Secret}')");

        var sent = new StringBuilder();
        await Assert.ThrowsAsync<AccessCheckUnavailableException>(async () =>
        {
            var snapshot = await Service<SnapshotReader>().ReadAsync(stale.Table!, filter: null, readAs: null, maxRecordBytes: null,
                (chunk, _) => { sent.Append(Encoding.UTF8.GetString(chunk.Rows.Span)); return Task.CompletedTask; }, CancellationToken.None);
            sent.Append(Encoding.UTF8.GetString(snapshot.FinalChunk.Rows.Span));
        });
        Assert.DoesNotContain(Secret, sent.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribing_to_a_dropped_table_is_table_not_found_on_both_protocols_and_over_http()
    {
        await CreateMessagesAsync();
        await using (var before = await Subscriber.ConnectAsync(Wire.Native, Server, TokenFor(1)))
            await before.SubscribeAsync("messages");
        await Database.ExecuteAsync("DROP TABLE public.messages");

        await using var native = await ConnectWithTokenAsync(TokenFor(1));
        await native.SendAsync(new { type = "subscribe", channel = Channel });
        AssertError(await native.NextAsync(), ErrorCodes.TableNotFound);

        await using var supabase = await PhoenixTestClient.ConnectAsync(Server, "2.0.0", TokenFor(1));
        var (_, join) = await supabase.JoinAsync("realtime:dropped", new JsonObject
        {
            ["config"] = new JsonObject
            {
                ["postgres_changes"] = new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "messages" }),
            },
        });
        Assert.Equal("error", join.Payload.GetProperty("status").GetString());
        Assert.Equal("Unable to subscribe to changes with given parameters: table public.messages does not exist",
            join.Payload.GetProperty("response").GetProperty("reason").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tables/public.messages/rows");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(1));
        using var response = await Server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(ErrorCodes.TableNotFound, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
    }
}
