using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Auth;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// Supabase's Realtime Authorization: a private channel (<c>config.private: true</c>) that no private-room rule covers is
/// decided by the row-level security policies on <c>realtime.messages</c>, written exactly as Supabase's docs write them
/// (<c>realtime.topic()</c>, <c>extension</c>), here scoped by the token's organization (seed 004). Roles are cluster-wide:
/// these tests use their own.
/// </summary>
public sealed class SupabaseChannelAuthorizationTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    private const string Member = "channel_member";

    private async Task CreatePoliciesAsync()
    {
        await Database.ExecuteAsync($"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Member}') THEN CREATE ROLE {Member} NOLOGIN; END IF;
            END $$;
            CREATE POLICY "members receive their organization's broadcasts" ON realtime.messages FOR SELECT TO {Member}
              USING (realtime.topic() = 'org:' || (auth.jwt() ->> 'organization_id') AND realtime.messages.extension IN ('broadcast', 'presence'));
            CREATE POLICY "writers send to their organization" ON realtime.messages FOR INSERT TO {Member}
              WITH CHECK (realtime.topic() = 'org:' || (auth.jwt() ->> 'organization_id') AND (auth.jwt() ->> 'writer')::boolean);
            """);
    }

    private async Task<PhoenixTestClient> ConnectAsync(string vsn, string organization, bool writer = true)
    {
        var token = Tokens.Hs256(new Dictionary<string, object>
        {
            ["sub"] = $"user-{organization}-{writer}",
            ["role"] = Member,
            ["organization_id"] = organization,
            ["writer"] = writer,
        });
        var client = await PhoenixTestClient.ConnectAsync(Server, vsn, token);
        Track(client);
        return client;
    }

    private static JsonObject Join(bool isPrivate, bool presence = false) => new()
    {
        ["config"] = new JsonObject
        {
            ["broadcast"] = new JsonObject { ["self"] = false, ["ack"] = true },
            ["presence"] = new JsonObject { ["enabled"] = presence },
            ["postgres_changes"] = new JsonArray(),
            ["private"] = isPrivate,
        },
    };

    private static JsonObject Message(int n) => new() { ["type"] = "broadcast", ["event"] = "note", ["payload"] = new JsonObject { ["n"] = n } };

    private static string? Status(PhoenixFrame reply) => reply.Payload.GetProperty("status").GetString();

    private static string? Reason(PhoenixFrame reply) => reply.Payload.GetProperty("response").GetProperty("reason").GetString();

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task The_policies_decide_who_joins_a_private_channel(string vsn)
    {
        await CreatePoliciesAsync();
        var acme = await ConnectAsync(vsn, "acme");

        Assert.Equal("ok", Status((await acme.JoinAsync("realtime:org:acme", Join(isPrivate: true))).Reply));
        var (_, other) = await acme.JoinAsync("realtime:org:globex", Join(isPrivate: true));
        Assert.Equal("error", Status(other));
        Assert.Equal("Unauthorized: You do not have permissions to read from this Channel topic: org:globex", Reason(other));
        // Public channels need no policy.
        Assert.Equal("ok", Status((await acme.JoinAsync("realtime:org:globex", Join(isPrivate: false))).Reply));
    }

    [Fact]
    public async Task Private_broadcasts_reach_private_members_only_and_public_ones_stay_public()
    {
        await CreatePoliciesAsync();
        var sender = await ConnectAsync("1.0.0", "acme");
        var member = await ConnectAsync("2.0.0", "acme", writer: false);
        var outsider = await ConnectAsync("1.0.0", "acme");
        var (senderRef, _) = await sender.JoinAsync("realtime:org:acme", Join(isPrivate: true));
        Assert.Equal("ok", Status((await member.JoinAsync("realtime:org:acme", Join(isPrivate: true))).Reply));
        var (outsiderRef, _) = await outsider.JoinAsync("realtime:org:acme", Join(isPrivate: false));

        var sent = await sender.PushAsync("realtime:org:acme", "broadcast", Message(1), senderRef);
        Assert.Equal("ok", Status(await sender.NextAsync(f => f.Event == "phx_reply" && f.Ref == sent)));
        var received = await member.NextAsync(f => f.Event == "broadcast");
        Assert.Equal("realtime:org:acme", received.Topic);
        Assert.Equal(1, received.Payload.GetProperty("payload").GetProperty("n").GetInt32());

        // The public channel of the same name is another topic, both ways.
        var published = await outsider.PushAsync("realtime:org:acme", "broadcast", Message(2), outsiderRef);
        Assert.Equal("ok", Status(await outsider.NextAsync(f => f.Event == "phx_reply" && f.Ref == published)));
        Assert.DoesNotContain(await outsider.RoundTripAsync(), f => f.Event == "broadcast");
        Assert.DoesNotContain(await member.RoundTripAsync(), f => f.Event == "broadcast");
    }

    [Fact]
    public async Task A_send_the_insert_policy_refuses_is_dropped_without_a_reply_as_on_Supabase()
    {
        await CreatePoliciesAsync();
        var reader = await ConnectAsync("1.0.0", "acme", writer: false);
        var listener = await ConnectAsync("1.0.0", "acme");
        var (readerRef, _) = await reader.JoinAsync("realtime:org:acme", Join(isPrivate: true));
        Assert.Equal("ok", Status((await listener.JoinAsync("realtime:org:acme", Join(isPrivate: true))).Reply));

        await reader.PushAsync("realtime:org:acme", "broadcast", Message(1), readerRef);

        // The server answers in order: no reply came before the heartbeat's, and nobody received the message.
        Assert.DoesNotContain(await reader.RoundTripAsync(), f => f.Event == "phx_reply");
        Assert.DoesNotContain(await listener.RoundTripAsync(), f => f.Event == "broadcast");
    }

    [Fact]
    public async Task A_track_the_insert_policy_refuses_gets_an_error_without_a_reason()
    {
        await CreatePoliciesAsync();
        var reader = await ConnectAsync("2.0.0", "acme", writer: false);
        var (joinRef, _) = await reader.JoinAsync("realtime:org:acme", Join(isPrivate: true, presence: true));

        var track = await reader.PushAsync("realtime:org:acme", "presence",
            new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject { ["online_at"] = 1 } }, joinRef);
        var reply = await reader.NextAsync(f => f.Event == "phx_reply" && f.Ref == track);
        Assert.Equal("error", Status(reply));
        Assert.Empty(reply.Payload.GetProperty("response").EnumerateObject());
    }

    [Fact]
    public async Task A_first_track_on_a_channel_joined_without_presence_asks_the_presence_read_policy_then_receives_presence()
    {
        await CreatePoliciesAsync();
        var quiet = await ConnectAsync("1.0.0", "acme");
        var (quietRef, joined) = await quiet.JoinAsync("realtime:org:acme", Join(isPrivate: true, presence: false));
        Assert.Equal("ok", Status(joined));
        static JsonObject Track(string name) => new() { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject { ["name"] = name } };

        // As on Supabase, the track enables presence: its read is asked now (the join skipped it), then its write.
        var track = await quiet.PushAsync("realtime:org:acme", "presence", Track("quiet"), quietRef);
        Assert.Equal("ok", Status(await quiet.NextAsync(f => f.Event == "phx_reply" && f.Ref == track)));

        var other = await ConnectAsync("2.0.0", "acme");
        var (otherRef, _) = await other.JoinAsync("realtime:org:acme", Join(isPrivate: true, presence: true));
        var otherTrack = await other.PushAsync("realtime:org:acme", "presence", Track("other"), otherRef);
        Assert.Equal("ok", Status(await other.NextAsync(f => f.Event == "phx_reply" && f.Ref == otherTrack)));
        var diff = await quiet.NextAsync(f => f.Event == "presence_diff" && f.Payload.GetRawText().Contains("\"other\"", StringComparison.Ordinal));
        Assert.True(diff.Payload.GetProperty("joins").EnumerateObject().Any());

        // A new token of the same organization: the presence read asked at the track is asked again, and still holds.
        var colleague = Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "colleague", ["role"] = Member, ["organization_id"] = "acme", ["writer"] = true });
        await quiet.PushAsync("realtime:org:acme", "access_token", new JsonObject { ["access_token"] = colleague }, quietRef);
        await quiet.RoundTripAsync();
        var again = await other.PushAsync("realtime:org:acme", "presence", Track("other again"), otherRef);
        Assert.Equal("ok", Status(await other.NextAsync(f => f.Event == "phx_reply" && f.Ref == again)));
        await quiet.NextAsync(f => f.Event == "presence_diff" && f.Payload.GetRawText().Contains("\"other again\"", StringComparison.Ordinal));
        Assert.DoesNotContain(quiet.Backlog, f => f.Event is "phx_close" or "system");
    }

    [Fact]
    public async Task A_token_of_another_organization_ends_the_private_channel()
    {
        await CreatePoliciesAsync();
        var client = await ConnectAsync("1.0.0", "acme");
        var (joinRef, _) = await client.JoinAsync("realtime:org:acme", Join(isPrivate: true));

        var globex = Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "user-globex", ["role"] = Member, ["organization_id"] = "globex", ["writer"] = true });
        await client.PushAsync("realtime:org:acme", "access_token", new JsonObject { ["access_token"] = globex }, joinRef);

        var system = await client.NextAsync(f => f.Event == "system");
        Assert.Equal("error", system.Payload.GetProperty("status").GetString());
        Assert.Equal("You do not have permissions to read from this Channel topic: org:acme", system.Payload.GetProperty("message").GetString());
        Assert.Equal("phx_close", (await client.NextAsync(f => f.Event == "phx_close")).Event);
    }

    [Fact]
    public async Task An_http_broadcast_marked_private_reaches_the_private_channel_only()
    {
        await CreatePoliciesAsync();
        var member = await ConnectAsync("1.0.0", "acme");
        var outsider = await ConnectAsync("1.0.0", "acme");
        Assert.Equal("ok", Status((await member.JoinAsync("realtime:org:acme", Join(isPrivate: true))).Reply));
        Assert.Equal("ok", Status((await outsider.JoinAsync("realtime:org:acme", Join(isPrivate: false))).Reply));

        using var http = new HttpClient { BaseAddress = Server.HttpBase };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
        {
            Content = new StringContent("""{"messages":[{"topic":"org:acme","event":"secret","payload":{"n":7},"private":true}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "svc", ["role"] = "service_role" }));
        using (var response = await http.SendAsync(request))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var received = await member.NextAsync(f => f.Event == "broadcast");
        Assert.Equal("secret", received.Payload.GetProperty("event").GetString());
        Assert.DoesNotContain(await outsider.RoundTripAsync(), f => f.Event == "broadcast");
    }

    [Fact]
    public async Task User_tokens_broadcast_over_http_to_a_private_topic_as_its_insert_policies_allow()
    {
        await CreatePoliciesAsync();
        var member = await ConnectAsync("1.0.0", "acme");
        Assert.Equal("ok", Status((await member.JoinAsync("realtime:org:acme", Join(isPrivate: true))).Reply));
        using var http = new HttpClient { BaseAddress = Server.HttpBase };

        async Task<HttpStatusCode> PostAsync(string path, string body, bool writer)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("apikey", Tokens.Hs256(new Dictionary<string, object>
            {
                ["sub"] = "http-user", ["role"] = Member, ["organization_id"] = "acme", ["writer"] = writer,
            }));
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        // Refused: the batch is accepted and skips it, the single route answers 403.
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync("/realtime/v1/api/broadcast",
            """{"messages":[{"topic":"org:acme","event":"refused","payload":{},"private":true}]}""", writer: false));
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync("/realtime/v1/api/broadcast/org:acme/events/refused?private=true", "{}", writer: false));
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync("/realtime/v1/api/broadcast/org:acme/events/allowed?private=true", "{}", writer: true));

        var first = await member.NextAsync(f => f.Event == "broadcast");
        Assert.Equal("allowed", first.Payload.GetProperty("event").GetString());
    }

    [Fact]
    public async Task Private_database_broadcasts_reach_the_channels_whose_policies_let_them_read_broadcasts()
    {
        await CreatePoliciesAsync();
        await Database.ExecuteAsync($"""
            CREATE POLICY "lobby presence only" ON realtime.messages FOR SELECT TO {Member}
              USING (realtime.topic() = 'org:lobby' AND realtime.messages.extension = 'presence');
            """);
        var member = await ConnectAsync("2.0.0", "acme");
        var outsider = await ConnectAsync("1.0.0", "acme");
        var presenceOnly = await ConnectAsync("1.0.0", "acme");
        Assert.Equal("ok", Status((await member.JoinAsync("realtime:org:acme", Join(isPrivate: true))).Reply));
        Assert.Equal("ok", Status((await outsider.JoinAsync("realtime:org:acme", Join(isPrivate: false))).Reply));
        Assert.Equal("ok", Status((await presenceOnly.JoinAsync("realtime:org:lobby", Join(isPrivate: true, presence: true))).Reply));

        await Database.ExecuteAsync("""SELECT realtime.send('{"n":1}'::jsonb, 'note', 'org:lobby'), realtime.send('{"n":2}'::jsonb, 'note', 'org:acme')""");

        var received = await member.NextAsync(f => f.Event == "broadcast");
        Assert.Equal("note", received.Payload.GetProperty("event").GetString());
        Assert.Equal(2, received.Payload.GetProperty("payload").GetProperty("n").GetInt32());
        // The public channel of the topic and the presence-only member get nothing (the server answers in order, and the
        // messages were dispatched before the member's frame above).
        Assert.DoesNotContain(await outsider.RoundTripAsync(), f => f.Event == "broadcast");
        Assert.DoesNotContain(await presenceOnly.RoundTripAsync(), f => f.Event == "broadcast");
    }

    [Fact]
    public async Task A_token_change_keeps_a_channels_database_broadcasts()
    {
        await CreatePoliciesAsync();
        var client = await ConnectAsync("1.0.0", "acme");
        var (publicRef, _) = await client.JoinAsync("realtime:news", Join(isPrivate: false));
        var (privateRef, _) = await client.JoinAsync("realtime:org:acme", Join(isPrivate: true));

        // Another user of the same organization: the claims change, what the channels may read does not.
        var colleague = Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "colleague", ["role"] = Member, ["organization_id"] = "acme", ["writer"] = false });
        await client.PushAsync("realtime:news", "access_token", new JsonObject { ["access_token"] = colleague }, publicRef);
        await client.PushAsync("realtime:org:acme", "access_token", new JsonObject { ["access_token"] = colleague }, privateRef);
        await client.RoundTripAsync();
        await Database.ExecuteAsync("""SELECT realtime.send('{"n":1}'::jsonb, 'note', 'news', false), realtime.send('{"n":2}'::jsonb, 'note', 'org:acme')""");

        Assert.Equal("realtime:news", (await client.NextAsync(f => f.Event == "broadcast")).Topic);
        Assert.Equal("realtime:org:acme", (await client.NextAsync(f => f.Event == "broadcast")).Topic);
        Assert.DoesNotContain(client.Backlog, f => f.Event is "system" or "phx_close" or "phx_error");
    }

    [Fact]
    public async Task A_channel_that_gains_broadcast_read_with_a_new_token_receives_database_broadcasts_from_then_on()
    {
        await Database.ExecuteAsync($"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Member}') THEN CREATE ROLE {Member} NOLOGIN; END IF;
            END $$;
            CREATE POLICY "lobby presence" ON realtime.messages FOR SELECT TO {Member}
              USING (realtime.topic() = 'org:lobby' AND realtime.messages.extension = 'presence');
            CREATE POLICY "lobby broadcasts for vips" ON realtime.messages FOR SELECT TO {Member}
              USING (realtime.topic() = 'org:lobby' AND realtime.messages.extension = 'broadcast' AND (auth.jwt() ->> 'vip')::boolean);
            """);
        string Token(bool vip) => Tokens.Hs256(new Dictionary<string, object> { ["sub"] = "guest", ["role"] = Member, ["vip"] = vip });
        var client = Track(await PhoenixTestClient.ConnectAsync(Server, "2.0.0", Token(vip: false)));
        var (joinRef, reply) = await client.JoinAsync("realtime:org:lobby", Join(isPrivate: true, presence: true));
        Assert.Equal("ok", Status(reply));
        // A vip already in the channel shows when the first message has been dispatched (before the token change).
        var vip = Track(await PhoenixTestClient.ConnectAsync(Server, "1.0.0", Token(vip: true)));
        Assert.Equal("ok", Status((await vip.JoinAsync("realtime:org:lobby", Join(isPrivate: true))).Reply));
        await Database.ExecuteAsync("""SELECT realtime.send('{"n":1}'::jsonb, 'note', 'org:lobby')""");
        Assert.Equal(1, (await vip.NextAsync(f => f.Event == "broadcast")).Payload.GetProperty("payload").GetProperty("n").GetInt32());
        Assert.DoesNotContain(await client.RoundTripAsync(), f => f.Event == "broadcast");

        // As on Supabase, what the policies now allow applies from the token change on: database broadcasts too.
        await client.PushAsync("realtime:org:lobby", "access_token", new JsonObject { ["access_token"] = Token(vip: true) }, joinRef);
        await client.RoundTripAsync();
        await Database.ExecuteAsync("""SELECT realtime.send('{"n":2}'::jsonb, 'note', 'org:lobby')""");
        var received = await client.NextAsync(f => f.Event == "broadcast");
        Assert.Equal(2, received.Payload.GetProperty("payload").GetProperty("n").GetInt32());
        Assert.DoesNotContain(client.Backlog, f => f.Event is "phx_close" or "phx_error");
    }

    [Fact]
    public async Task A_policy_that_fails_refuses_the_join()
    {
        await Database.ExecuteAsync($"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Member}') THEN CREATE ROLE {Member} NOLOGIN; END IF;
            END $$;
            CREATE POLICY broken ON realtime.messages FOR SELECT TO {Member} USING ((auth.jwt() ->> 'organization_id')::int > 0);
            """);
        var client = await ConnectAsync("1.0.0", "acme");

        var (_, reply) = await client.JoinAsync("realtime:org:acme", Join(isPrivate: true));
        Assert.Equal("Unauthorized: You do not have permissions to read from this Channel topic: org:acme", Reason(reply));
    }
}
