using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// Issue 15, item 1: the changes of a table that no longer exists when they are dispatched cannot be judged by its
/// policies, so they are withheld — never delivered as if the table had no row-level security.
/// </summary>
public sealed class DroppedTableTests(PostgresFixture postgres) : FailClosedTest(postgres)
{
    [Theory]
    [InlineData(Wire.Native)]
    [InlineData(Wire.Supabase)]
    public async Task A_row_written_by_the_transaction_that_drops_its_table_reaches_nobody_who_may_not_see_it(Wire wire)
    {
        await CreateMessagesAsync();
        var anonymous = await SubscribeAsync(wire, null, "messages", "notices");
        var organization1 = await SubscribeAsync(wire, TokenFor(1), "messages", "notices");
        var organization2 = await SubscribeAsync(wire, TokenFor(2), "messages", "notices");

        await Database.ExecuteAsync($"BEGIN; INSERT INTO public.messages VALUES (1, 2, '{Secret}'); DROP TABLE public.messages; COMMIT;");
        await InsertNoticeAsync(99, "marker");

        AssertNeverDelivered(await anonymous.UntilRowAsync("body", "marker"), Secret, "the anonymous subscriber");
        AssertNeverDelivered(await organization1.UntilRowAsync("body", "marker"), Secret, "organization 1's member");
        // The member of organization 2 could have seen it while the table existed; it is withheld from it too, with a code.
        AssertWithheldWithCode(await organization2.UntilRowAsync("body", "marker"), "organization 2's member");
    }

    [Theory]
    [InlineData(Wire.Native)]
    [InlineData(Wire.Supabase)]
    public async Task A_backlog_holding_changes_of_a_since_dropped_table_is_withheld_after_a_restart(Wire wire)
    {
        await CreateMessagesAsync();
        string? anonymousSince, organization1Since;
        await using (var anonymous = await Subscriber.ConnectAsync(wire, Server, null))
        await using (var organization1 = await Subscriber.ConnectAsync(wire, Server, TokenFor(1)))
        {
            anonymousSince = await anonymous.SubscribeAsync(since: null, "messages", "notices");
            organization1Since = await organization1.SubscribeAsync(since: null, "messages", "notices");
        }
        await Server.DisposeAsync();

        // While the server is down: a secret row, then (another transaction) the table is dropped and made again.
        await InsertAsync(1, 2, Secret);
        await Database.ExecuteAsync("DROP TABLE public.messages");
        await Database.ExecuteAsync($"""
            CREATE TABLE public.messages (id bigint PRIMARY KEY, organization_id int NOT NULL, body text);
            SELECT enable_realtime('public', 'messages');
            ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;
            GRANT SELECT ON public.messages TO {Member}, {Visitor};
            CREATE POLICY organization_members ON public.messages FOR SELECT TO {Member}
              USING (organization_id = (auth.jwt() ->> 'organization_id')::int);
            """);
        await InsertNoticeAsync(99, "marker");
        Server = await ServerHandle.StartAsync(Database, ServerArgs);

        // Both resume from before the restart: the log replays the dropped table's insert under the same name.
        var resumedAnonymous = Track(await Subscriber.ConnectAsync(wire, Server, null));
        await resumedAnonymous.SubscribeAsync(anonymousSince, "messages", "notices");
        var resumedOrganization1 = Track(await Subscriber.ConnectAsync(wire, Server, TokenFor(1)));
        await resumedOrganization1.SubscribeAsync(organization1Since, "messages", "notices");

        AssertNeverDelivered(await resumedAnonymous.UntilRowAsync("body", "marker"), Secret, "the anonymous subscriber");
        AssertNeverDelivered(await resumedOrganization1.UntilRowAsync("body", "marker"), Secret, "organization 1's member");
    }
}
