using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// Issue 15, item 6: a change is delivered as a SELECT at delivery time would answer. Live changes are judged when they
/// are dispatched; a resume judges the retained changes again when it replays them, so a member whose membership was
/// revoked does not get, by resuming from an older offset, rows it may no longer read — even when another connection
/// with the same claims received them live before the revocation.
/// </summary>
public sealed class RevocationTests(PostgresFixture postgres) : FailClosedTest(postgres)
{
    [Theory]
    [InlineData(Wire.Native)]
    [InlineData(Wire.Supabase)]
    public async Task A_revoked_member_resuming_from_before_the_revocation_gets_no_row_it_may_no_longer_read(Wire wire)
    {
        await CreateMessagesAsync();
        await Database.ExecuteAsync($"""
            CREATE TABLE public.memberships (user_id text NOT NULL, organization_id int NOT NULL);
            GRANT SELECT ON public.memberships TO {Member};
            INSERT INTO public.memberships VALUES ('alice', 1);
            DROP POLICY organization_members ON public.messages;
            CREATE POLICY organization_members ON public.messages FOR SELECT TO {Member}
              USING (EXISTS (SELECT 1 FROM public.memberships m
                             WHERE m.user_id = auth.jwt() ->> 'sub' AND m.organization_id = messages.organization_id));
            """);
        var alice = TokenFor(1, subject: "alice");
        // A connection of the same claims stays: its group's verdicts are taken when the row is dispatched.
        var watcher = await SubscribeAsync(wire, alice, "messages", "notices");
        string? since;
        await using (var leaver = await Subscriber.ConnectAsync(wire, Server, alice))
            since = await leaver.SubscribeAsync(since: null, "messages", "notices");

        await InsertAsync(1, 1, "before the revocation");
        Assert.Contains(await watcher.UntilRowAsync("body", "before the revocation"), d => d.IsChange);
        await Database.ExecuteAsync("DELETE FROM public.memberships WHERE user_id = 'alice'");
        await InsertAsync(2, 1, "after the revocation");
        await InsertNoticeAsync(1, "marker");

        var resumed = Track(await Subscriber.ConnectAsync(wire, Server, alice));
        await resumed.SubscribeAsync(since, "messages", "notices");
        var replayed = await resumed.UntilRowAsync("body", "marker");
        AssertNeverDelivered(replayed, "the revocation", "the revoked member resuming");
        AssertNeverDelivered(await watcher.UntilRowAsync("body", "marker"), "after the revocation", "the revoked member's live connection");
    }
}
