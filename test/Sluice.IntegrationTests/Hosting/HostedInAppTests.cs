using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Samples.HostedInApp;
using Sluice.Tests.Auth;

namespace Sluice.IntegrationTests.Hosting;

/// <summary>
/// samples/Sluice.Samples.HostedInApp — an ASP.NET Core API with its own JWT authentication and endpoints that adds Sluice
/// with AddSluice/MapSluiceRealtime — run unchanged in this process against a fixture database: the app's endpoints and
/// Sluice's WebSocket serve the same users with the same tokens, row-level security decides what each user receives, and the
/// app's authorization policy guards the Sluice endpoints it was put on.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class HostedInAppTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_sample_app_serves_its_own_api_and_streams_each_user_their_own_changes()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await using var app = await InProcessApp.StartAsync(typeof(Notes).Assembly,
            "--environment", "Production",
            "--ConnectionStrings:Notes", database.ConnectionString,
            "--Jwt:Secret", TestTokens.Secret,
            "--Sluice:SlotName", database.SlotName,
            "--Sluice:PublicationName", database.PublicationName,
            "--Logging:LogLevel:Default", "Warning");
        var alice = Token("alice");
        var bob = Token("bob");
        var operatorToken = Token("ops-1", ops: true);

        // The app's own policy in front of Sluice's health endpoint: a user is refused, an operator waits for streaming.
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(app, HttpMethod.Get, "/health", alice)).StatusCode);
        await WaitUntilHealthyAsync(app, operatorToken);

        // The tokens of the app's users open Sluice's WebSocket too.
        await using var aliceClient = await TestClient.ConnectAsync(new Uri($"ws://{app.HttpBase.Authority}/realtime?token={alice}"));
        await aliceClient.SubscribeAsync("table:public.notes");

        // Through the app's own endpoint: Bob's note first, then Alice's.
        using (var created = await SendAsync(app, HttpMethod.Post, "/api/notes", bob, new { text = "bob's note" }))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var created = await SendAsync(app, HttpMethod.Post, "/api/notes", alice, new { text = "alice's note" }))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        // Alice's first change is her own note: Bob's, committed before it, was withheld by the table's policy.
        var change = (await aliceClient.NextChangeAsync()).GetProperty("payload");
        Assert.Equal("INSERT", change.GetProperty("type").GetString());
        Assert.Equal("alice", change.GetProperty("record").GetProperty("owner").GetString());
        Assert.Equal("alice's note", change.GetProperty("record").GetProperty("text").GetString());

        using var listed = await SendAsync(app, HttpMethod.Get, "/api/notes", alice);
        listed.EnsureSuccessStatusCode();
        var notes = await listed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("alice's note", Assert.Single(notes.EnumerateArray()).GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Http.GetAsync("/api/notes")).StatusCode);
    }

    private static string Token(string user, bool ops = false)
    {
        var claims = new Dictionary<string, object> { ["sub"] = user };
        if (ops)
            claims["ops"] = "true";
        return TestTokens.Create(new TestTokens().HmacKey, claims: claims);
    }

    private static async Task<HttpResponseMessage> SendAsync(InProcessApp app, HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        return await app.Http.SendAsync(request);
    }

    private static async Task WaitUntilHealthyAsync(InProcessApp app, string token)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var response = await SendAsync(app, HttpMethod.Get, "/health", token);
            if (response.IsSuccessStatusCode)
                return;
            await Task.Delay(50);
        }
        throw new TimeoutException("the sample's Sluice did not start streaming within 30 s");
    }
}
