using System.Text.Json;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// The broadcast and presence parts of a join's <c>config</c>: <c>broadcast.self</c>/<c>ack</c> (false when absent),
/// <c>presence.key</c> (empty: the server picks one) and <c>presence.enabled</c> (true when absent, as clients before
/// realtime-js 2.12 do not send it), <c>private</c> (false when absent) and <c>broadcast.replication_ready</c> (any value
/// but null or false opts in, as Supabase reads it). Unknown keys are ignored.
/// <c>BroadcastSince</c> is Sluice's extension <c>broadcast.since</c>: the offset of the last database broadcast the client
/// has (a message's <c>meta.offset</c>, or the join reply's <c>broadcast.offset</c>); null when absent. A value that is not
/// a string comes as its JSON text (never a valid offset), so the join is refused rather than the value ignored.
/// </summary>
internal sealed record JoinConfig(bool BroadcastSelf, bool BroadcastAck, string PresenceKey, bool PresenceEnabled, bool Private = false,
    string? BroadcastSince = null, bool ReplicationReady = false)
{
    public static JoinConfig Read(JsonElement joinPayload)
    {
        JsonElement config = default, broadcast = default, presence = default;
        if (joinPayload.ValueKind == JsonValueKind.Object && joinPayload.TryGetProperty("config", out config) && config.ValueKind == JsonValueKind.Object)
        {
            config.TryGetProperty("broadcast", out broadcast);
            config.TryGetProperty("presence", out presence);
        }
        return new JoinConfig(
            Flag(broadcast, "self") ?? false,
            Flag(broadcast, "ack") ?? false,
            presence.ValueKind == JsonValueKind.Object && presence.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String ? key.GetString()! : "",
            Flag(presence, "enabled") ?? true,
            Flag(config, "private") ?? false,
            broadcast.ValueKind == JsonValueKind.Object && broadcast.TryGetProperty("since", out var since)
                && since.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
                ? since.ValueKind == JsonValueKind.String ? since.GetString() : since.GetRawText()
                : null,
            broadcast.ValueKind == JsonValueKind.Object && broadcast.TryGetProperty("replication_ready", out var ready)
                && ready.ValueKind is not (JsonValueKind.Null or JsonValueKind.False));
    }

    private static bool? Flag(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String => value.GetString() == "true",
                _ => null,
            }
            : null;
}
