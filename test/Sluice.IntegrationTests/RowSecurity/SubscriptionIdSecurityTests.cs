using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// Row-level security holds for each of a connection's subscriptions of one table (told apart by their ids): each gets
/// only the rows the connection's claims may see, and a token with other claims ends every one of them, each with its id.
/// </summary>
public sealed class SubscriptionIdSecurityTests(PostgresFixture postgres) : RowSecurityTest(postgres)
{
    private static string? IdOf(JsonElement frame) => frame.TryGetProperty("id", out var id) ? id.GetString() : null;

    private static async Task AckAsync(TestClient client, string? id, string? filter = null)
    {
        await client.SendAsync(id is null
            ? new { type = "subscribe", channel = Channel, filter }
            : (object)new { type = "subscribe", channel = Channel, id, filter });
        var ack = await client.NextAsync();
        Assert.True(ack.GetProperty("type").GetString() == "ack", $"expected ack, got {ack}");
        Assert.Equal(id, IdOf(ack));
    }

    [Fact]
    public async Task Each_subscription_with_an_id_receives_only_rows_the_claims_may_see_and_a_token_with_other_claims_ends_each()
    {
        await CreateMessagesAsync();
        await using var client = await ConnectWithTokenAsync(TokenFor(1));
        await AckAsync(client, "low", "id=lt.10");
        await AckAsync(client, "any");
        await AckAsync(client, id: null, "id=gte.10");

        await InsertAsync(1, 1);
        await InsertAsync(2, 2);
        await InsertAsync(11, 2);
        await InsertAsync(12, 1);
        var changes = new List<JsonElement>();
        while (changes.Count < 4)
        {
            var frame = await client.NextAsync();
            Assert.True(frame.GetProperty("type").GetString() == "broadcast", $"expected a change, got {frame}");
            changes.Add(frame);
        }
        long[] Rows(string? id) => [.. changes.Where(change => IdOf(change) == id).Select(RowId)];
        Assert.Equal([1], Rows("low"));
        Assert.Equal([1, 12], Rows("any"));
        Assert.Equal([12], Rows(null));

        await client.SendAsync(new { type = "auth", token = TokenFor(2) });
        var frames = new List<JsonElement>();
        while (frames.Count < 4)
            frames.Add(await client.NextAsync());
        Assert.Single(frames, frame => frame.GetProperty("type").GetString() == "auth_ok");
        var resyncs = frames.Where(frame => frame.GetProperty("type").GetString() == "resync_required").ToList();
        Assert.All(resyncs, frame => Assert.Equal(Channel, frame.GetProperty("channel").GetString()));
        Assert.Equal([null, "any", "low"], resyncs.Select(IdOf).Order(StringComparer.Ordinal));
    }
}
