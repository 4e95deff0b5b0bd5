using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Rooms;

/// <summary><c>POST /api/broadcast</c> and <c>POST /api/broadcast/{topic}/events/{event}</c>, also under <c>/realtime/v1</c>.</summary>
public sealed class BroadcastApiTests(PostgresFixture postgres) : RoomTest(postgres)
{
    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? bearer = null, string? apikey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (apikey is not null)
            request.Headers.Add("apikey", apikey);
        return await Server.Http.SendAsync(request);
    }

    private static async Task AssertFailureAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task The_batch_form_publishes_every_message_in_order_and_answers_202()
    {
        await using var lobby = await Server.ConnectAsync();
        await JoinAsync(lobby, "room:lobby");
        await using var other = await Server.ConnectAsync();
        await JoinAsync(other, "room:other");

        const string body = """
            {"messages":[
              {"topic":"lobby","event":"first","payload":{"n":1}},
              {"topic":"realtime:other","event":"elsewhere","payload":[1,2]},
              {"channel":"room:lobby","event":"second","payload":"two","private":false}
            ]}
            """;
        using (var response = await PostAsync("/api/broadcast", body, bearer: ServiceToken()))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
        var first = await ExpectMessageAsync(lobby, "room:lobby", "first");
        Assert.Equal(1, first.GetProperty("payload").GetProperty("n").GetInt32());
        var second = await ExpectMessageAsync(lobby, "room:lobby", "second");
        Assert.Equal("two", second.GetProperty("payload").GetString());
        Assert.True(string.CompareOrdinal(second.GetProperty("offset").GetString(), first.GetProperty("offset").GetString()) > 0);
        Assert.Equal(2, (await ExpectMessageAsync(other, "room:other", "elsewhere")).GetProperty("payload").GetArrayLength());

        // Supabase's path and apikey header.
        using (var supabase = await PostAsync("/realtime/v1/api/broadcast",
            """{"messages":[{"topic":"lobby","event":"third","payload":{}}]}""", apikey: ServiceToken()))
            Assert.Equal(HttpStatusCode.Accepted, supabase.StatusCode);
        await ExpectMessageAsync(lobby, "room:lobby", "third");

        // A resume from before the HTTP messages replays them like any other.
        await using var late = await Server.ConnectAsync();
        await JoinAsync(late, "room:lobby", since: first.GetProperty("offset").GetString());
        await ExpectMessageAsync(late, "room:lobby", "second");
        await ExpectMessageAsync(late, "room:lobby", "third");
    }

    [Fact]
    public async Task The_single_form_publishes_its_body_as_the_payload()
    {
        await using var client = await Server.ConnectAsync();
        await JoinAsync(client, "room:alerts");

        using (var response = await PostAsync("/api/broadcast/alerts/events/fire", """ {"level": 3} """, bearer: ServiceToken()))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
        var fire = await ExpectMessageAsync(client, "room:alerts", "fire");
        Assert.Equal(3, fire.GetProperty("payload").GetProperty("level").GetInt32());

        using (var supabase = await PostAsync("/realtime/v1/api/broadcast/alerts/events/drill", "42", apikey: ServiceToken()))
            Assert.Equal(HttpStatusCode.Accepted, supabase.StatusCode);
        Assert.Equal(42, (await ExpectMessageAsync(client, "room:alerts", "drill")).GetProperty("payload").GetInt32());

        using (var bad = await PostAsync("/api/broadcast/alerts/events/x", "{not json", bearer: ServiceToken()))
            await AssertFailureAsync(bad, HttpStatusCode.BadRequest, ErrorCodes.InvalidJson);
        using (var badTopic = await PostAsync("/api/broadcast/bad%20topic/events/x", "1", bearer: ServiceToken()))
            await AssertFailureAsync(badTopic, HttpStatusCode.BadRequest, ErrorCodes.InvalidChannel);
        using (var tooLarge = await PostAsync("/api/broadcast/alerts/events/x", JsonSerializer.Serialize(new string('x', MaxPayloadBytes)), bearer: ServiceToken()))
            await AssertFailureAsync(tooLarge, HttpStatusCode.BadRequest, ErrorCodes.PayloadTooLarge);
    }

    protected override string[] RoomArgs => ["--Sluice:Rooms:Private:0:Pattern", "team-{organization_id}"];

    [Fact]
    public async Task A_valid_token_may_post_where_the_rules_let_it()
    {
        const string body = """{"messages":[{"topic":"lobby","event":"e","payload":1}]}""";
        using (var none = await PostAsync("/api/broadcast", body))
        {
            await AssertFailureAsync(none, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
            Assert.Equal("Bearer", Assert.Single(none.Headers.WwwAuthenticate).Scheme);
        }

        // As on Supabase, user tokens publish too; a private-room rule decides the rooms it covers.
        await using var client = await ConnectWithTokenAsync(ServiceToken("watcher"));
        await JoinAsync(client, "room:lobby");
        await JoinAsync(client, "room:team-acme");
        using (var user = await PostAsync("/api/broadcast", body, bearer: UserToken("alice")))
            Assert.Equal(HttpStatusCode.Accepted, user.StatusCode);
        await ExpectMessageAsync(client, "room:lobby", "e");
        using (var refused = await PostAsync("/realtime/v1/api/broadcast/team-acme/events/e", "1", apikey: UserToken("alice", "globex")))
            await AssertFailureAsync(refused, HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        // A batch skips what it may not publish and is still accepted (Supabase's answer).
        using (var skipped = await PostAsync("/api/broadcast",
            """{"messages":[{"topic":"team-acme","event":"skipped","payload":1},{"topic":"team-acme","event":"kept","payload":2}]}""",
            bearer: UserToken("bob", "globex")))
            Assert.Equal(HttpStatusCode.Accepted, skipped.StatusCode);
        using (var member = await PostAsync("/realtime/v1/api/broadcast/team-acme/events/kept", "3", apikey: UserToken("carol", "acme")))
            Assert.Equal(HttpStatusCode.Accepted, member.StatusCode);
        Assert.Equal(3, (await ExpectMessageAsync(client, "room:team-acme", "kept")).GetProperty("payload").GetInt32());
        using (var garbage = await PostAsync("/api/broadcast", body, bearer: "garbage"))
            await AssertFailureAsync(garbage, HttpStatusCode.Unauthorized, ErrorCodes.InvalidToken);
        using (var expired = await PostAsync("/api/broadcast", body,
            bearer: Tokens.Hs256(new Dictionary<string, object> { ["role"] = "service_role" }, expires: DateTime.UtcNow.AddMinutes(-5))))
            await AssertFailureAsync(expired, HttpStatusCode.Unauthorized, ErrorCodes.TokenExpired);
    }

    [Fact]
    public async Task A_bad_batch_publishes_nothing()
    {
        await using var client = await Server.ConnectAsync();
        await JoinAsync(client, "room:lobby");
        var service = ServiceToken();

        (string Body, string Code)[] bad =
        [
            ("""{"messages":[{"topic":"lobby","event":"ok","payload":1},{"topic":"lobby","payload":2}]}""", ErrorCodes.MissingField),
            ("""{"messages":[{"topic":"lobby","event":"ok","payload":1},{"event":"e","payload":2}]}""", ErrorCodes.MissingField),
            ("""{"messages":[{"topic":"lobby","event":"ok","payload":1},{"topic":"lobby","event":"e"}]}""", ErrorCodes.MissingField),
            ("""{"messages":[{"topic":"lobby","event":"ok","payload":1},{"topic":"no spaces","event":"e","payload":1}]}""", ErrorCodes.InvalidChannel),
            ("""{"messages":[{"topic":"lobby","event":"ok","payload":1},{"topic":"lobby","event":7,"payload":1}]}""", ErrorCodes.InvalidField),
            ("""{"messages":[{"topic":"lobby","event":"ok","payload":1},{"topic":"lobby","event":"e","payload":"__BIG__"}]}""", ErrorCodes.PayloadTooLarge),
            ("""{"messages":{"topic":"lobby"}}""", ErrorCodes.InvalidField),
            ("""{"nothing":[]}""", ErrorCodes.MissingField),
            ("""{"messages":[""", ErrorCodes.InvalidJson),
        ];
        foreach (var (body, code) in bad)
        {
            using var response = await PostAsync("/api/broadcast", body.Replace("__BIG__", new string('x', MaxPayloadBytes), StringComparison.Ordinal), bearer: service);
            await AssertFailureAsync(response, HttpStatusCode.BadRequest, code);
        }

        // None of the valid first messages was published: the next message is this one.
        using (var good = await PostAsync("/api/broadcast", """{"messages":[{"topic":"lobby","event":"after","payload":null}]}""", bearer: service))
            Assert.Equal(HttpStatusCode.Accepted, good.StatusCode);
        await ExpectMessageAsync(client, "room:lobby", "after");
    }
}
