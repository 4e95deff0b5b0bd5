using System.Net.WebSockets;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>Like Phoenix, the endpoint closes a socket that received nothing for its idle timeout (4 s here, 60 s by default).</summary>
public sealed class SupabaseIdleTimeoutTests(PostgresFixture postgres) : ServerTest(postgres)
{
    protected override string[] ServerArgs => ["--supabase-idle-timeout", "00:00:04"];

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_silent_socket_is_closed_and_one_that_sends_heartbeats_is_not(string vsn)
    {
        await using var silent = await PhoenixTestClient.ConnectAsync(Server, vsn);
        await using var talking = await PhoenixTestClient.ConnectAsync(Server, vsn);
        var closed = silent.WaitForCloseAsync();
        while (!closed.IsCompleted)
        {
            await talking.RoundTripAsync();
            await Task.WhenAny(closed, Task.Delay(250));
        }
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await closed);
        Assert.Equal("idle timeout", silent.CloseDescription);
        await talking.RoundTripAsync(); // still open
    }
}
