using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Net.Http.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.RowSecurity;

public sealed class OrganizationIsolationTests(PostgresFixture postgres) : RowSecurityTest(postgres)
{
    [Fact]
    public async Task Live_changes_reach_only_the_subscribers_whose_organization_may_see_them()
    {
        await CreateMessagesAsync();
        await using var orgA = await ConnectWithTokenAsync(TokenFor(1));
        await using var orgB = await ConnectWithTokenAsync(TokenFor(2));
        await orgA.SubscribeAsync(Channel);
        await orgB.SubscribeAsync(Channel);

        await InsertAsync(1, 1);
        await InsertAsync(2, 2);
        await InsertAsync(3, 1);
        await Database.ExecuteAsync("INSERT INTO public.messages VALUES (4, 2, 'b'), (5, 1, 'a'), (6, 2, 'b')");
        await Database.ExecuteAsync("INSERT INTO public.messages VALUES (100, 1, 'last'), (101, 2, 'last')");

        Assert.Equal([1, 3, 5, 100], await IdsUntilAsync(orgA, 100));
        Assert.Equal([2, 4, 6, 101], await IdsUntilAsync(orgB, 101));
    }

    [Fact]
    public async Task A_resume_replays_only_the_rows_the_subscriber_may_see()
    {
        await CreateMessagesAsync();
        string offset;
        await using (var first = await ConnectWithTokenAsync(TokenFor(1)))
        {
            await first.SendAsync(new { type = "subscribe", channel = Channel });
            var ack = await first.NextAsync();
            offset = ack.GetProperty("offset").GetString()!;
        }
        // Nobody of organization 1 is connected while these commit: their verdicts are computed when it resumes.
        for (var id = 1; id <= 20; id++)
            await InsertAsync(id, id % 2 == 0 ? 2 : 1);
        await Database.ExecuteAsync("UPDATE public.messages SET body = 'edited' WHERE id IN (1, 2)");
        await Database.ExecuteAsync("DELETE FROM public.messages WHERE id IN (3, 4)");
        await InsertAsync(100, 1, "last");

        await using var resumed = await ConnectWithTokenAsync(TokenFor(1));
        await resumed.SendAsync(new { type = "subscribe", channel = Channel, since = offset });
        Assert.Equal("ack", (await resumed.NextAsync()).GetProperty("type").GetString());
        var changes = new List<(string Type, long Id)>();
        while (true)
        {
            var change = await resumed.NextChangeAsync();
            changes.Add((change.GetProperty("payload").GetProperty("type").GetString()!, RowId(change)));
            if (RowId(change) == 100)
                break;
        }
        var expected = Enumerable.Range(1, 20).Where(id => id % 2 == 1).Select(id => ("INSERT", (long)id))
            .Append(("UPDATE", 1L)).Append(("DELETE", 3L)).Append(("INSERT", 100L));
        Assert.Equal(expected, changes);
    }

    [Fact]
    public async Task A_snapshot_holds_only_the_organizations_rows_and_joins_the_stream()
    {
        await CreateMessagesAsync();
        for (var id = 1; id <= 10; id++)
            await InsertAsync(id, id <= 6 ? 1 : 2);

        await using var orgA = await ConnectWithTokenAsync(TokenFor(1));
        await orgA.SendAsync(new { type = "subscribe", channel = Channel, snapshot = true });
        Assert.Equal("ack", (await orgA.NextAsync()).GetProperty("type").GetString());
        var rows = new List<long>();
        while (true)
        {
            var frame = await orgA.NextAsync();
            Assert.Equal("snapshot", frame.GetProperty("type").GetString());
            rows.AddRange(frame.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("id").GetInt64()));
            if (frame.GetProperty("last").GetBoolean())
                break;
        }
        Assert.Equal([1, 2, 3, 4, 5, 6], rows.Order());

        await InsertAsync(11, 2);
        await InsertAsync(12, 1);
        Assert.Equal([12], await IdsUntilAsync(orgA, 12));
    }

    [Fact]
    public async Task The_rows_endpoint_reads_as_the_tokens_role_and_claims()
    {
        await CreateMessagesAsync();
        await InsertAsync(1, 1);
        await InsertAsync(2, 2);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tables/public.messages/rows");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(2));
        using var response = await Server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([2L], body.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("id").GetInt64()));
    }

    [Fact]
    public async Task An_update_that_moves_a_row_to_another_organization_is_a_delete_for_the_old_one_and_hides_the_old_values_from_the_new_one()
    {
        await CreateMessagesAsync();
        await using var orgA = await ConnectWithTokenAsync(TokenFor(1));
        await using var orgB = await ConnectWithTokenAsync(TokenFor(2));
        await orgA.SubscribeAsync(Channel);
        await orgB.SubscribeAsync(Channel);
        // Inserted after subscribing, so that it reaches organization 1 whatever the capture's lag (a row committed
        // before a subscription without `since` may or may not be streamed to it); organization 2 never sees it.
        await InsertAsync(1, 1, "secret of organization 1");
        Assert.Equal("INSERT", (await orgA.NextChangeAsync()).GetProperty("payload").GetProperty("type").GetString());

        await Database.ExecuteAsync("UPDATE public.messages SET organization_id = 2, body = 'now for organization 2' WHERE id = 1");

        var forA = (await orgA.NextChangeAsync()).GetProperty("payload");
        Assert.Equal("DELETE", forA.GetProperty("type").GetString());
        Assert.False(forA.TryGetProperty("record", out _));
        Assert.Equal(1, forA.GetProperty("old_record").GetProperty("organization_id").GetInt32());

        var forB = (await orgB.NextChangeAsync()).GetProperty("payload");
        Assert.Equal("UPDATE", forB.GetProperty("type").GetString());
        Assert.Equal(2, forB.GetProperty("record").GetProperty("organization_id").GetInt32());
        Assert.False(forB.TryGetProperty("old_record", out _), $"organization 2 must not see the row as it was: {forB}");
    }

    [Fact]
    public async Task Anonymous_connections_run_as_the_anonymous_role_and_see_no_rows_its_policies_do_not_grant()
    {
        await CreateMessagesAsync();
        var anonymous = await ConnectAsync();
        await anonymous.SubscribeAsync(Channel);
        await anonymous.SubscribeAsync("table:public.notices");

        await InsertAsync(1, 1);
        await InsertAsync(2, 2);
        await Database.ExecuteAsync("INSERT INTO public.notices VALUES (7, 'for everyone')");

        var next = await anonymous.NextChangeAsync();
        Assert.Equal("table:public.notices", next.GetProperty("channel").GetString());
    }

    [Fact]
    public async Task A_role_without_select_privilege_cannot_subscribe()
    {
        await CreateMessagesAsync();
        await Database.ExecuteAsync($"REVOKE SELECT ON public.notices FROM {Member}");
        await using var client = await ConnectWithTokenAsync(TokenFor(1));
        await client.SendAsync(new { type = "subscribe", channel = "table:public.notices" });
        AssertError(await client.NextAsync(), ErrorCodes.Forbidden);
        await client.SubscribeAsync(Channel);
    }

    [Fact]
    public async Task A_failing_policy_check_is_reported_to_its_own_group_only()
    {
        await CreateMessagesAsync();
        // The policy casts the claim to int: this token's claim makes it raise.
        await using var broken = await ConnectWithTokenAsync(TokenFor("not-a-number"));
        await using var fine = await ConnectWithTokenAsync(TokenFor(1));
        await broken.SubscribeAsync(Channel);
        await fine.SubscribeAsync(Channel);

        await InsertAsync(1, 1);
        await InsertAsync(2, 1);

        Assert.Equal([1, 2], await IdsUntilAsync(fine, 2));
        var error = await broken.NextAsync();
        AssertError(error, ErrorCodes.AccessCheckFailed);
        Assert.Equal(Channel, error.GetProperty("channel").GetString());
    }

    [Fact]
    public async Task A_token_refresh_with_other_claims_ends_the_subscription_for_a_fresh_snapshot()
    {
        await CreateMessagesAsync();
        await using var client = await ConnectWithTokenAsync(TokenFor(1));
        await client.SubscribeAsync(Channel);
        await client.SendAsync(new { type = "auth", token = TokenFor(2) });

        var frames = new[] { await client.NextAsync(), await client.NextAsync() };
        Assert.Contains(frames, frame => frame.GetProperty("type").GetString() == "resync_required" && frame.GetProperty("channel").GetString() == Channel);
        Assert.Contains(frames, frame => frame.GetProperty("type").GetString() == "auth_ok");

        await client.SubscribeAsync(Channel);
        await InsertAsync(1, 1);
        await InsertAsync(2, 2);
        Assert.Equal([2], await IdsUntilAsync(client, 2));
    }
}
