using Sluice.IntegrationTests.Infrastructure;
using Sluice.IntegrationTests.RowSecurity;

namespace Sluice.IntegrationTests.Observability;

/// <summary><c>sluice_rls_checks_total</c> counts the row-level security checks the dispatcher runs in PostgreSQL.</summary>
public sealed class RowSecurityMetricsTests(PostgresFixture postgres) : RowSecurityTest(postgres)
{
    [Fact]
    public async Task Rls_checks_are_counted_in_metrics()
    {
        await CreateMessagesAsync();
        await using var member = await ConnectWithTokenAsync(TokenFor(1));
        await member.SubscribeAsync(Channel);
        var before = await ScrapeAsync();

        await InsertAsync(1, 2);
        await InsertAsync(2, 1);
        Assert.Equal([2], await IdsUntilAsync(member, 2));

        var after = await ScrapeAsync();
        Assert.True(after.Required("sluice_rls_checks_total") > (before.Value("sluice_rls_checks_total") ?? 0), after.Text);
    }

    private async Task<PrometheusText> ScrapeAsync() => new(await Server.Http.GetStringAsync("/metrics"));
}
