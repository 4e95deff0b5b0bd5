using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests;

/// <summary>
/// The heartbeat rule: a client <c>heartbeat</c> with a <c>ref</c> is answered with <c>{"type":"heartbeat","ref":…}</c>;
/// one without is never answered. A client that echoes the server's heartbeats (as the original Fluxbase SDK does)
/// therefore cannot start a loop. The server's own periodic heartbeats are off here (an hour apart), so every frame seen
/// is an answer.
/// </summary>
public sealed class HeartbeatTests(PostgresFixture postgres) : ServerTest(postgres)
{
    protected override string[] ServerArgs => ["--heartbeat-interval", "01:00:00"];

    [Fact]
    public async Task A_heartbeat_with_a_ref_is_answered_with_the_same_ref()
    {
        var client = await ConnectAsync();
        await client.SendAsync(new { type = "heartbeat", @ref = "k1" });
        var answer = await client.NextAsync(skipHeartbeats: false);
        Assert.Equal("heartbeat", answer.GetProperty("type").GetString());
        Assert.Equal("k1", answer.GetProperty("ref").GetString());
    }

    [Fact]
    public async Task A_heartbeat_without_a_ref_is_never_answered_so_an_echoing_client_cannot_loop()
    {
        var client = await ConnectAsync();
        // An echoing client answers what it takes for server heartbeats: none of these may come back.
        for (var i = 0; i < 5; i++)
            await client.SendAsync(new { type = "heartbeat" });
        await client.SendAsync(new { type = "heartbeat", @ref = "after" });
        // One queue, in order: an answer to any of the five would arrive before this one.
        var next = await client.NextAsync(skipHeartbeats: false);
        Assert.Equal("after", next.TryGetProperty("ref", out var reference) ? reference.GetString() : $"(no ref: {next})");
    }

    [Fact]
    public async Task A_ref_that_is_not_a_string_is_an_invalid_field_not_a_heartbeat()
    {
        var client = await ConnectAsync();
        await client.SendTextAsync("""{"type":"heartbeat","ref":7}""");
        var error = await client.NextAsync(skipHeartbeats: false);
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("invalid_field", error.GetProperty("code").GetString());
    }
}
