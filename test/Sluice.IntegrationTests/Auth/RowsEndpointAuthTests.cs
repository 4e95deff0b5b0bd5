using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Auth;

/// <summary><c>GET /api/tables/…/rows</c> takes the same tokens as <c>/realtime</c> and answers refusals with 401.</summary>
public sealed class RowsEndpointAuthTests(PostgresFixture postgres) : AuthServerTest(postgres)
{
    protected override string[] MoreServerArgs => ["--allow-anonymous", "false"];

    private async Task<HttpResponseMessage> GetRowsAsync(string? bearer = null, string query = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tables/public.items/rows" + query);
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await Server.Http.SendAsync(request);
    }

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string code)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Rows_need_a_valid_token_when_anonymous_access_is_refused()
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        await Database.ExecuteAsync("INSERT INTO items VALUES (1, 'a')");

        using (var anonymous = await GetRowsAsync())
            await AssertUnauthorizedAsync(anonymous, ErrorCodes.Unauthorized);
        using (var expired = await GetRowsAsync(Tokens.Hs256(expires: DateTime.UtcNow.AddMinutes(-1))))
            await AssertUnauthorizedAsync(expired, ErrorCodes.TokenExpired);
        using (var garbage = await GetRowsAsync("garbage"))
            await AssertUnauthorizedAsync(garbage, ErrorCodes.InvalidToken);

        using (var bearer = await GetRowsAsync(Tokens.Hs256()))
        {
            Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
            Assert.Equal(1, (await bearer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rows").GetArrayLength());
        }
        using var byQuery = await GetRowsAsync(query: "?token=" + Uri.EscapeDataString(Tokens.Hs256()));
        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
    }
}
