using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// An organization-scoped application (organizations and memberships), with subscribers on either protocol: the base of the tests that a missing fact (a dropped
/// table, a value the WAL did not carry, a policy that cannot be evaluated) never lets a row through.
/// </summary>
public abstract class FailClosedTest(PostgresFixture postgres) : RowSecurityTest(postgres)
{
    public const string Secret = "ORG2-SECRET";

    /// <summary>Connects on <paramref name="wire"/> (null token: anonymous) and subscribes to <paramref name="tables"/>; disposed with the test.</summary>
    protected async Task<Subscriber> SubscribeAsync(Wire wire, string? token, params string[] tables)
    {
        var subscriber = Track(await Subscriber.ConnectAsync(wire, Server, token));
        await subscriber.SubscribeAsync(tables);
        return subscriber;
    }

    /// <summary>A row everyone may see, in the table without row-level security: what a subscriber waits for to know the rest has come.</summary>
    protected Task InsertNoticeAsync(long id, string body) => Database.ExecuteAsync("INSERT INTO public.notices VALUES ($1, $2)", id, body);

    /// <summary>No delivered change carries <paramref name="text"/> in any of its values.</summary>
    protected static void AssertNeverDelivered(IEnumerable<Delivery> deliveries, string text, string who)
    {
        foreach (var delivery in deliveries)
        {
            if (delivery.IsChange)
                Assert.False((delivery.Record?.GetRawText() + delivery.OldRecord?.GetRawText()).Contains(text, StringComparison.Ordinal),
                    $"{who} received a row it may not see: {delivery}");
        }
    }

    /// <summary>The deliveries hold an <c>access_check_failed</c> error: the withheld change was announced, not silently dropped.</summary>
    protected static void AssertWithheldWithCode(IEnumerable<Delivery> deliveries, string who) =>
        Assert.True(deliveries.Any(delivery => delivery.Kind == "error" && delivery.Code == ErrorCodes.AccessCheckFailed),
            $"{who} should have been told with {ErrorCodes.AccessCheckFailed} that a change was withheld: {string.Join(" | ", deliveries)}");
}
