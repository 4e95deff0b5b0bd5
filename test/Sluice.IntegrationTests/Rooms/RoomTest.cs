using System.Text.Json;
using Sluice.IntegrationTests.Auth;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Rooms;

/// <summary>A server with tokens (see <see cref="AuthServerTest"/>) and small room limits, plus helpers for room frames.</summary>
public abstract class RoomTest(PostgresFixture postgres) : AuthServerTest(postgres)
{
    public const int HistoryMessages = 3;
    public const int MaxPayloadBytes = 256;
    public const int MaxPresenceStateBytes = 128;

    protected override string[] MoreServerArgs =>
    [
        "--Sluice:Rooms:HistoryMessages", HistoryMessages.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--Sluice:Rooms:MaxPayloadBytes", MaxPayloadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--Sluice:Rooms:MaxPresenceStateBytes", MaxPresenceStateBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        .. RoomArgs,
    ];

    protected virtual string[] RoomArgs => [];

    protected string ServiceToken(string sub = "server") =>
        Tokens.Hs256(new Dictionary<string, object> { ["sub"] = sub, ["role"] = "service_role" });

    protected string UserToken(string sub, string? organization = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = sub };
        if (organization is not null)
            claims["organization_id"] = organization;
        return Tokens.Hs256(claims);
    }

    /// <summary>Subscribes to a room and returns its ack and the presence_state that must follow it.</summary>
    protected static async Task<(JsonElement Ack, JsonElement PresenceState)> JoinAsync(TestClient client, string channel, string? since = null)
    {
        await client.SendAsync(since is null
            ? new { type = "subscribe", channel }
            : new { type = "subscribe", channel, since });
        var ack = await ExpectAsync(client, "ack");
        Assert.Equal(channel, ack.GetProperty("channel").GetString());
        Assert.False(string.IsNullOrEmpty(ack.GetProperty("offset").GetString()));
        var state = await ExpectAsync(client, "presence_state");
        Assert.Equal(channel, state.GetProperty("channel").GetString());
        return (ack, state);
    }

    protected static Task PublishAsync(TestClient client, string channel, string eventName, object? payload, bool self = false, bool ack = false, string? reference = null) =>
        client.SendAsync(new Dictionary<string, object?>
        {
            ["type"] = "broadcast",
            ["channel"] = channel,
            ["event"] = eventName,
            ["payload"] = payload,
            ["self"] = self,
            ["ack"] = ack,
            ["ref"] = reference,
        });

    /// <summary>Publishes with an ack and returns the ack's offset.</summary>
    protected static async Task<string> PublishAckedAsync(TestClient client, string channel, string eventName, object? payload, string reference)
    {
        await PublishAsync(client, channel, eventName, payload, ack: true, reference: reference);
        var ack = await ExpectAsync(client, "broadcast_ack");
        Assert.Equal(reference, ack.GetProperty("ref").GetString());
        return ack.GetProperty("offset").GetString()!;
    }

    protected static Task TrackAsync(TestClient client, string channel, object? state, string? key = null) =>
        client.SendAsync(key is null
            ? new Dictionary<string, object?> { ["type"] = "presence", ["channel"] = channel, ["state"] = state }
            : new Dictionary<string, object?> { ["type"] = "presence", ["channel"] = channel, ["state"] = state, ["key"] = key });

    /// <summary>The next frame, which must be of <paramref name="type"/>.</summary>
    protected static async Task<JsonElement> ExpectAsync(TestClient client, string type)
    {
        var frame = await client.NextAsync();
        Assert.True(frame.GetProperty("type").GetString() == type, $"expected {type}, got {frame}");
        return frame;
    }

    /// <summary>The next frame, which must be a room message with <paramref name="eventName"/>; returns it.</summary>
    protected static async Task<JsonElement> ExpectMessageAsync(TestClient client, string channel, string eventName)
    {
        var frame = await ExpectAsync(client, "broadcast");
        Assert.Equal(channel, frame.GetProperty("channel").GetString());
        Assert.Equal(eventName, frame.GetProperty("event").GetString());
        return frame;
    }

    protected static async Task<JsonElement> ExpectErrorAsync(TestClient client, string code)
    {
        var frame = await client.NextAsync();
        AssertError(frame, code);
        return frame;
    }

    protected static string[] Keys(JsonElement entries) =>
        [.. entries.EnumerateArray().Select(e => e.GetProperty("key").GetString()!)];
}
