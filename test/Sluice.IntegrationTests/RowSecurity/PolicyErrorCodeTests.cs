using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// Issue 15, item 5: an error raised inside a policy is <c>access_check_failed</c> wherever rows are read — live changes,
/// snapshots and <c>GET /api/tables/…/rows</c> — never <c>database_unavailable</c> (which tells the client to try again).
/// </summary>
public sealed class PolicyErrorCodeTests(PostgresFixture postgres) : FailClosedTest(postgres)
{
    // The policy casts the organization_id claim to int: this token's claim makes it raise.
    private string BrokenToken => TokenFor("not-a-number");

    [Fact]
    public async Task A_snapshot_whose_policy_raises_is_refused_with_access_check_failed()
    {
        await CreateMessagesAsync();
        await InsertAsync(1, 1);
        await using var client = await ConnectWithTokenAsync(BrokenToken);
        await client.SendAsync(new { type = "subscribe", channel = Channel, snapshot = true });

        var frames = new List<JsonElement>();
        while (frames.Count == 0 || frames[^1].GetProperty("type").GetString() != "error")
            frames.Add(await client.NextAsync());
        AssertError(frames[^1], ErrorCodes.AccessCheckFailed);
        Assert.DoesNotContain(frames, frame => frame.GetProperty("type").GetString() == "snapshot");
    }

    [Fact]
    public async Task The_rows_endpoint_answers_a_policy_that_raises_with_access_check_failed()
    {
        await CreateMessagesAsync();
        await InsertAsync(1, 1);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tables/public.messages/rows");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", BrokenToken);
        using var response = await Server.Http.SendAsync(request);

        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(ErrorCodes.AccessCheckFailed, body.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(Wire.Native)]
    [InlineData(Wire.Supabase)]
    public async Task Live_changes_whose_policy_raises_are_withheld_with_access_check_failed(Wire wire)
    {
        await CreateMessagesAsync();
        var broken = await SubscribeAsync(wire, BrokenToken, "messages", "notices");
        await InsertAsync(1, 1, Secret);
        await InsertNoticeAsync(1, "marker");

        var seen = await broken.UntilRowAsync("body", "marker");
        AssertNeverDelivered(seen, Secret, "the subscriber whose check fails");
        AssertWithheldWithCode(seen, "the subscriber whose check fails");
    }
}
