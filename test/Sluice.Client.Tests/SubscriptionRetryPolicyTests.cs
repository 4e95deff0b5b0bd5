using Microsoft.Extensions.Time.Testing;
using Sluice.Client.Tests.Fakes;
using Sluice.Protocol;

namespace Sluice.Client.Tests;

/// <summary>A subscription the server refuses for a transient reason is retried as the reconnect policy says, and not when it says stop.</summary>
public sealed class SubscriptionRetryPolicyTests
{
    private const string Channel = Frames.Products;

    [Fact]
    public async Task A_refused_subscription_is_retried_as_the_policy_says_with_its_context_and_not_after_it_stops()
    {
        await using var server = await FakeServer.StartAsync();
        var time = new FakeTimeProvider();
        var contexts = new Recorder<ReconnectContext>();
        // Refusals of the subscription: one retry after 5 s, then stop. (Nothing else asks: the connection stays up.)
        var policy = new RecordingPolicy(contexts, context => context.Attempt == 0 ? TimeSpan.FromSeconds(5) : null);
        await using var client = TestClients.Create(server, options =>
        {
            options.ReconnectPolicy = policy;
            options.TimeProvider = time;
            options.HeartbeatInterval = TimeSpan.FromHours(1);
            options.HeartbeatTimeout = TimeSpan.FromHours(2);
        });
        client.Table("public", "products");
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();

        await connection.SendAsync(Frames.Error(Channel, ErrorCodes.DatabaseUnavailable, "try again"));
        await contexts.WaitForCountAsync(1, "the policy asked about the refusal");
        await TestClients.AdvanceUntilAsync(time, () => connection.HasPendingFrame, "the retry after the policy's 5 s");
        var retry = await connection.ReceiveSubscribeAsync();
        Assert.Equal(Channel, (string?)retry["channel"]);

        await connection.SendAsync(Frames.Error(Channel, ErrorCodes.DatabaseUnavailable, "still down"));
        await contexts.WaitForCountAsync(2, "the policy asked about the second refusal");
        var second = contexts.Items[1];
        Assert.Equal(1, second.Attempt);
        Assert.Equal(ErrorCodes.DatabaseUnavailable, second.ErrorCode);
        Assert.True(second.Elapsed >= TimeSpan.FromSeconds(5), $"Elapsed {second.Elapsed} since the first refusal");

        // The policy said stop: no retry however long the clock runs; the next frame the server sees is another subscribe.
        time.Advance(TimeSpan.FromMinutes(5));
        client.Table("public", "orders");
        var next = await connection.ReceiveSubscribeAsync();
        Assert.Equal("table:public.orders", (string?)next["channel"]);
        Assert.Equal(2, contexts.Items.Count);
    }


}
