using System.Text.Json;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>Server messages of the Supabase Realtime protocol (as realtime-js and supabase/realtime exchange them), as Phoenix text frames.</summary>
internal static class SupabaseFrames
{
    public const string PhoenixTopic = "phoenix";
    public const string TopicPrefix = "realtime:";

    /// <summary><c>phx_reply</c> <c>{"status":"ok","response":{}}</c> to a push (join_ref echoed, v2 only).</summary>
    public static byte[] ReplyOk(PhoenixVersion version, string? joinRef, string? reference, string topic) =>
        EmptyReply(version, joinRef, reference, topic, ok: true);

    /// <summary><c>phx_reply</c> with a status and an empty <c>response</c>.</summary>
    private static byte[] EmptyReply(PhoenixVersion version, string? joinRef, string? reference, string topic, bool ok) =>
        PhoenixSerializer.Write(version, joinRef, reference, topic, "phx_reply", static (writer, ok) =>
        {
            writer.WriteStartObject();
            writer.WriteString("status"u8, ok ? "ok"u8 : "error"u8);
            writer.WritePropertyName("response"u8);
            writer.WriteStartObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }, ok);

    /// <summary><c>phx_reply</c> <c>{"status":"error","response":{"reason":…}}</c>.</summary>
    public static byte[] ReplyError(PhoenixVersion version, string? joinRef, string? reference, string topic, string reason) =>
        PhoenixSerializer.Write(version, joinRef, reference, topic, "phx_reply", static (writer, reason) =>
        {
            writer.WriteStartObject();
            writer.WriteString("status"u8, "error"u8);
            writer.WritePropertyName("response"u8);
            writer.WriteStartObject();
            writer.WriteString("reason"u8, reason);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }, reason);

    /// <summary><c>phx_reply</c> <c>{"status":"error","response":{}}</c>: Supabase's answer to a presence track its policies refuse.</summary>
    public static byte[] ReplyErrorWithoutReason(PhoenixVersion version, string? joinRef, string? reference, string topic) =>
        EmptyReply(version, joinRef, reference, topic, ok: false);

    /// <summary>
    /// The successful join reply: <c>response.postgres_changes</c> echoes each requested binding unchanged (same keys,
    /// same order) plus its <c>id</c> and, when known, the <c>offset</c> it starts after (Sluice's extension: a client that
    /// sends it back as <c>since</c> when it rejoins misses nothing, even before its first change). When the channel receives
    /// database broadcasts, <c>response.broadcast.offset</c> is where they start (the same extension, for
    /// <c>config.broadcast.since</c>).
    /// </summary>
    public static byte[] JoinReply(PhoenixVersion version, string joinRef, string? reference, string topic, IReadOnlyList<PostgresChangesBinding> bindings,
        IReadOnlyList<string?>? offsets = null, string? broadcastOffset = null) =>
        PhoenixSerializer.Write(version, joinRef, reference, topic, "phx_reply", static (writer, state) =>
        {
            var (bindings, offsets, broadcastOffset) = state;
            writer.WriteStartObject();
            writer.WriteString("status"u8, "ok"u8);
            writer.WritePropertyName("response"u8);
            writer.WriteStartObject();
            writer.WritePropertyName("postgres_changes"u8);
            writer.WriteStartArray();
            for (var i = 0; i < bindings.Count; i++)
            {
                var binding = bindings[i];
                writer.WriteStartObject();
                foreach (var property in binding.Requested.EnumerateObject())
                {
                    if (property.NameEquals("id"u8) || property.NameEquals("offset"u8))
                        continue;
                    property.WriteTo(writer);
                }
                writer.WriteNumber("id"u8, binding.Id);
                if (offsets is not null && offsets[i] is { } offset)
                    writer.WriteString("offset"u8, offset);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            if (broadcastOffset is not null)
            {
                writer.WritePropertyName("broadcast"u8);
                writer.WriteStartObject();
                writer.WriteString("offset"u8, broadcastOffset);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }, (bindings, offsets, broadcastOffset));

    /// <summary>
    /// Sluice's <c>system</c> notice that a binding's <c>since</c> could not be honoured (too old, or from another log epoch):
    /// <c>{"extension":"postgres_changes","status":"error","code":"resync_required","message":…,"channel":…,"ids":[id],"offset":…}</c>.
    /// The binding is live from <c>offset</c> on; the client should refetch what it shows.
    /// </summary>
    public static byte[] ResyncRequired(PhoenixVersion version, string joinRef, string topic, int bindingId, string offset, string message) =>
        PhoenixSerializer.Write(version, joinRef, null, topic, "system", static (writer, state) =>
        {
            writer.WriteStartObject();
            writer.WriteString("extension"u8, "postgres_changes"u8);
            writer.WriteString("status"u8, "error"u8);
            writer.WriteString("code"u8, Sluice.Protocol.FrameTypes.ResyncRequired);
            writer.WriteString("message"u8, state.message);
            writer.WriteString("channel"u8, SubTopic(state.topic));
            writer.WritePropertyName("ids"u8);
            writer.WriteStartArray();
            writer.WriteNumberValue(state.bindingId);
            writer.WriteEndArray();
            writer.WriteString("offset"u8, state.offset);
            writer.WriteEndObject();
        }, (topic, bindingId, offset, message));

    /// <summary>
    /// Sluice's <c>system</c> notice that <c>config.broadcast.since</c> could not be honoured (too old, or from another log
    /// epoch): <c>{"extension":"broadcast","status":"error","code":"resync_required","message":…,"channel":…,"offset":…}</c>.
    /// The channel's database broadcasts are live from <c>offset</c> on; what was sent before may be missing.
    /// </summary>
    public static byte[] BroadcastResyncRequired(PhoenixVersion version, string joinRef, string topic, string offset, string message) =>
        PhoenixSerializer.Write(version, joinRef, null, topic, "system", static (writer, state) =>
        {
            writer.WriteStartObject();
            writer.WriteString("extension"u8, "broadcast"u8);
            writer.WriteString("status"u8, "error"u8);
            writer.WriteString("code"u8, Sluice.Protocol.FrameTypes.ResyncRequired);
            writer.WriteString("message"u8, state.message);
            writer.WriteString("channel"u8, SubTopic(state.topic));
            writer.WriteString("offset"u8, state.offset);
            writer.WriteEndObject();
        }, (topic, offset, message));

    /// <summary><c>phx_close</c> for a channel: payload <c>{}</c>, ref = join_ref.</summary>
    public static byte[] Close(PhoenixVersion version, string joinRef, string topic) =>
        PhoenixSerializer.Write(version, joinRef, joinRef, topic, "phx_close", static (writer, _) =>
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }, 0);

    /// <summary><c>phx_error</c> for a channel with join_ref and ref null (applies to whichever join is current): the client rejoins.</summary>
    public static byte[] ChannelError(PhoenixVersion version, string topic) =>
        PhoenixSerializer.Write(version, null, null, topic, "phx_error", static (writer, _) =>
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }, 0);

    /// <summary><c>system</c> push <c>{extension, status, message, channel}</c> stamped with the channel's join_ref.</summary>
    public static byte[] System(PhoenixVersion version, string? joinRef, string topic, string extension, bool ok, string message) =>
        PhoenixSerializer.Write(version, joinRef, null, topic, "system", static (writer, state) =>
        {
            writer.WriteStartObject();
            writer.WriteString("extension"u8, state.extension);
            writer.WriteString("status"u8, state.ok ? "ok"u8 : "error"u8);
            writer.WriteString("message"u8, state.message);
            writer.WriteString("channel"u8, SubTopic(state.topic));
            writer.WriteEndObject();
        }, (extension, ok, message, topic));

    /// <summary><c>presence_state</c> push (the current presences of the channel, <c>{}</c> when none).</summary>
    public static byte[] EmptyPresenceState(PhoenixVersion version, string joinRef, string topic) =>
        PhoenixSerializer.Write(version, joinRef, null, topic, "presence_state", static (writer, _) =>
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }, 0);

    /// <summary>The topic without its <c>realtime:</c> prefix.</summary>
    public static string SubTopic(string topic) => topic.StartsWith(TopicPrefix, StringComparison.Ordinal) ? topic[TopicPrefix.Length..] : topic;

    internal static void WriteEmptyObject(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteEndObject();
    }
}
