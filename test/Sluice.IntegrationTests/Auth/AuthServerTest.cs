using System.Net.WebSockets;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;
using Sluice.Tests.Auth;

namespace Sluice.IntegrationTests.Auth;

/// <summary>A server that accepts HS256 tokens signed with <see cref="TestTokens.Secret"/> and RS256/ES256 tokens of a JWKS file, without clock skew.</summary>
public abstract class AuthServerTest(PostgresFixture postgres) : ServerTest(postgres), IDisposable
{
    protected TestTokens Tokens { get; } = new();

    protected override string[] ServerArgs => ["--jwt-secret", TestTokens.Secret, "--jwks", Tokens.JwksPath, "--jwt-clock-skew", "00:00:00", .. MoreServerArgs];

    protected virtual string[] MoreServerArgs => [];

    protected Task<TestClient> ConnectWithTokenAsync(string token) =>
        TestClient.ConnectAsync(new Uri($"{Server.WebSocketUrl}?token={Uri.EscapeDataString(token)}"));

    protected Task<TestClient> ConnectWithBearerAsync(string token) =>
        TestClient.ConnectAsync(Server.WebSocketUrl, configure: options => options.SetRequestHeader("Authorization", "Bearer " + token));

    /// <summary>The connection gets an error frame with <paramref name="code"/>, then close 4001.</summary>
    protected static async Task AssertRefusedAsync(TestClient client, string code)
    {
        var error = await client.NextAsync();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
        Assert.Equal((WebSocketCloseStatus)CloseCodes.Unauthorized, await client.WaitForCloseAsync());
    }

    protected static void AssertError(JsonElement frame, string code)
    {
        Assert.True(frame.GetProperty("type").GetString() == "error", $"expected an error, got {frame}");
        Assert.Equal(code, frame.GetProperty("code").GetString());
    }

    protected static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (await condition())
                return;
            await Task.Delay(50);
        }
        throw new TimeoutException("condition not reached within 30 s");
    }

    public void Dispose()
    {
        Tokens.Dispose();
        GC.SuppressFinalize(this);
    }
}
