using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>Row-level checks cost per distinct claim set, not per subscriber: the database counts the policy's evaluations.</summary>
public sealed class ClaimSetGroupingTests(PostgresFixture postgres) : RowSecurityTest(postgres)
{
    private const int Organizations = 10;
    private const int SubscribersPerOrganization = 100;

    protected override string[] EvenMoreServerArgs => ["--max-connections-per-ip", "5000"];

    [Fact]
    public async Task A_thousand_subscribers_in_ten_claim_sets_cost_ten_checks_per_transaction()
    {
        await CreateMessagesAsync();
        // Every evaluation of the policy on a row bumps a sequence (sequences ignore the checks' rollback).
        await Database.ExecuteAsync($"""
            CREATE SEQUENCE public.policy_evaluations;
            CREATE FUNCTION public.count_policy_evaluation() RETURNS boolean LANGUAGE sql VOLATILE SECURITY DEFINER
              AS $$ SELECT nextval('public.policy_evaluations') > 0 $$;
            DROP POLICY organization_members ON public.messages;
            CREATE POLICY counted_organization_members ON public.messages FOR SELECT TO {Member}
              USING (public.count_policy_evaluation() AND organization_id = (auth.jwt() ->> 'organization_id')::int);
            """);

        // Every socket is pumped by its TestClient from the moment it connects: a socket nobody reads does not answer the
        // server's keep-alive pings and is dropped, so reading 1,000 sockets one after another would lose the last ones.
        var subscribers = new List<(int Organization, TestClient Client)>();
        try
        {
            var tokens = Enumerable.Range(1, Organizations).ToDictionary(organization => organization, organization => TokenFor(organization));
            for (var i = 0; i < Organizations * SubscribersPerOrganization; i += 50)
            {
                var opened = await Task.WhenAll(Enumerable.Range(i, 50).Select(async n =>
                {
                    var organization = n % Organizations + 1;
                    var client = await TestClient.ConnectAsync(new Uri($"{Server.WebSocketUrl}?token={tokens[organization]}"));
                    await client.SubscribeAsync(Channel);
                    return (organization, client);
                }));
                subscribers.AddRange(opened);
            }

            var before = await Database.ScalarAsync<long>("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.policy_evaluations");
            await Database.ExecuteAsync(
                "INSERT INTO public.messages SELECT organization, organization, 'one per organization' FROM generate_series(1, $1) organization", Organizations);

            var received = await Task.WhenAll(subscribers.Select(async subscriber => (subscriber.Organization, Change: await subscriber.Client.NextChangeAsync())));
            foreach (var (organization, change) in received)
                Assert.Equal(organization, RowId(change));
            var evaluations = await Database.ScalarAsync<long>("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.policy_evaluations") - before;

            // One check per claim set sees all ten rows: at most 10 × 10 evaluations. Checking per subscriber would take at least 1,000.
            Assert.InRange(evaluations, Organizations, Organizations * Organizations);
        }
        finally
        {
            await Task.WhenAll(subscribers.Select(subscriber => subscriber.Client.DisposeAsync().AsTask()));
        }
    }
}
