using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Auth;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// <c>config.private: true</c>: a private channel is joinable only when a private-room rule grants it (or with the service
/// role); otherwise the join fails with Supabase's "Unauthorized: You do not have permissions to read from this Channel topic".
/// </summary>
public sealed class SupabasePrivateChannelTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    protected override string[] MoreServerArgs =>
    [
        "--Sluice:Rooms:Private:0:Pattern", "org-{organization_id}:*",
        "--Sluice:Rooms:Private:1:Pattern", "feed:{organization_id}",
        "--Sluice:Rooms:Private:1:Actions:0", "subscribe",
    ];

    private async Task<PhoenixTestClient> ConnectAsync(string vsn, string organization)
    {
        var token = Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "user-" + organization, ["organization_id"] = organization });
        var client = await PhoenixTestClient.ConnectAsync(Server, vsn, token);
        Track(client);
        return client;
    }

    private static JsonObject Join(bool isPrivate) => new()
    {
        ["config"] = new JsonObject
        {
            ["broadcast"] = new JsonObject { ["self"] = true, ["ack"] = true },
            ["presence"] = new JsonObject { ["enabled"] = false },
            ["postgres_changes"] = new JsonArray(),
            ["private"] = isPrivate,
        },
    };

    private static string? Status(PhoenixFrame reply) => reply.Payload.GetProperty("status").GetString();

    private static string? Reason(PhoenixFrame reply) => reply.Payload.GetProperty("response").GetProperty("reason").GetString();

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_private_channel_needs_a_rule_that_grants_it(string vsn)
    {
        var acme = await ConnectAsync(vsn, "acme");
        Assert.Equal("ok", Status((await acme.JoinAsync("realtime:org-acme:chat", Join(isPrivate: true))).Reply));

        // Another organization's room, and a room no rule covers: refused as private, the latter fine as public.
        var (_, other) = await acme.JoinAsync("realtime:org-globex:chat", Join(isPrivate: true));
        Assert.Equal("error", Status(other));
        Assert.Equal("Unauthorized: You do not have permissions to read from this Channel topic: org-globex:chat", Reason(other));
        var (_, uncovered) = await acme.JoinAsync("realtime:lobby", Join(isPrivate: true));
        Assert.Equal("Unauthorized: You do not have permissions to read from this Channel topic: lobby", Reason(uncovered));
        Assert.Equal("ok", Status((await acme.JoinAsync("realtime:lobby", Join(isPrivate: false))).Reply));

        // The service role bypasses the rules.
        var service = await PhoenixTestClient.ConnectAsync(Server, vsn, Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "svc", ["role"] = "service_role" }));
        Track(service);
        Assert.Equal("ok", Status((await service.JoinAsync("realtime:anything", Join(isPrivate: true))).Reply));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task On_a_private_channel_broadcast_needs_a_rule_that_grants_publishing(string vsn)
    {
        var acme = await ConnectAsync(vsn, "acme");
        var (feedRef, feed) = await acme.JoinAsync("realtime:feed:acme", Join(isPrivate: true));
        Assert.Equal("ok", Status(feed));
        var message = new JsonObject { ["type"] = "broadcast", ["event"] = "note", ["payload"] = new JsonObject { ["n"] = 1 } };
        var refused = await acme.PushAsync("realtime:feed:acme", "broadcast", message, feedRef);
        var reply = await acme.NextAsync(f => f.Event == "phx_reply" && f.Ref == refused);
        Assert.Equal("error", Status(reply));
        Assert.StartsWith("Unauthorized", Reason(reply));

        var (chatRef, _) = await acme.JoinAsync("realtime:org-acme:chat", Join(isPrivate: true));
        var sent = await acme.PushAsync("realtime:org-acme:chat", "broadcast", message.DeepClone(), chatRef);
        Assert.Equal("ok", Status(await acme.NextAsync(f => f.Event == "phx_reply" && f.Ref == sent)));
        var echoed = await acme.NextAsync(f => f.Event == "broadcast" && f.Topic == "realtime:org-acme:chat");
        Assert.Equal(1, echoed.Payload.GetProperty("payload").GetProperty("n").GetInt32());
    }
}
