using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Server.Log;
using Sluice.Server.Routing;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// Writes a channel's database broadcasts (rows of <c>realtime.messages</c>, see <see cref="DatabaseBroadcastRows"/>) as
/// Supabase sends them: to vsn 1.0.0 a <c>broadcast</c> text frame
/// <c>{"type":"broadcast","event":&lt;event&gt;,"payload":&lt;payload, as stored&gt;,"meta":{"id":&lt;row id&gt;,"offset":…}}</c>
/// (join_ref and ref null), to vsn 2.0.0 the binary kind-4 user broadcast (topic, event, meta, JSON payload) — or the
/// JSON form when the topic, event or meta exceeds the 255 bytes kind 4 can carry. <c>meta.offset</c> is Sluice's
/// extension: send it back as <c>config.broadcast.since</c> to resume right after the message. Supabase's broadcasts carry
/// no transaction end, so the frame is the same with and without it.
/// </summary>
/// <remarks>
/// One router channel per (vsn, topic, privacy): every connection of one vsn joined to the topic with that privacy shares
/// the bytes of each message. The channel names cannot collide with <see cref="SupabaseChangeFormat"/>'s (a binding id is
/// a number). <see cref="Change"/> and <see cref="IsBinary"/> are pure: they run under the router's lock.
/// </remarks>
internal sealed class SupabaseDatabaseBroadcastFormat(PhoenixVersion version, string topic, bool privateMessages, Observability.SluiceMetrics? metrics = null)
    : ChangeFrameFormat(metrics)
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public PhoenixVersion Version { get; } = version;

    /// <summary>The join topic, <c>realtime:&lt;topic&gt;</c>.</summary>
    public string Topic { get; } = topic;

    public bool Private { get; } = privateMessages;

    /// <summary>The router channel: unique per (vsn, topic, privacy).</summary>
    public string RouterChannel => RouterChannelOf(Version, Topic, Private);

    public static string RouterChannelOf(PhoenixVersion version, string topic, bool privateMessages) =>
        string.Concat(version == PhoenixVersion.V2 ? "supabase2" : "supabase1", privateMessages ? ":db-broadcast:private:" : ":db-broadcast:public:", topic);

    public override byte[] Change(string channel, LogEntry entry, bool transactionEnd, ChangeShape shape)
    {
        var message = DatabaseBroadcastMessage.Of(entry);
        // Decided exactly as IsBinary decides it: the frame's bytes and how they are sent always agree.
        if (Version == PhoenixVersion.V2 && Fits(message))
            return SupabaseRoomFrames.BinaryBroadcast(Topic, message.Event, Encoding.UTF8.GetBytes(message.Payload), Meta(message))!;
        return PhoenixSerializer.Write(Version, null, null, Topic, "broadcast", static (writer, state) =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "broadcast"u8);
            writer.WriteString("event"u8, state.Event);
            writer.WritePropertyName("payload"u8);
            // jsonb as PostgreSQL prints it: valid JSON, sent as stored (Supabase sends the stored text too).
            writer.WriteRawValue(state.Payload, skipInputValidation: true);
            writer.WritePropertyName("meta"u8);
            WriteMeta(writer, state);
            writer.WriteEndObject();
        }, message);
    }

    /// <summary>
    /// A replayed message (<c>config.broadcast.replay</c>), as Supabase pushes one to the channel that asked:
    /// <c>{"type":"broadcast","event":…,"payload":…,"meta":{"replayed":true,"id":…}}</c>, a JSON push with the channel's
    /// join_ref (vsn 1.0.0 has none). It carries no offset: the join reply's <c>broadcast.offset</c> is where the channel's
    /// database broadcasts go on from.
    /// </summary>
    public static byte[] Replayed(PhoenixVersion version, string joinRef, string topic, Snapshots.StoredBroadcast message) =>
        PhoenixSerializer.Write(version, joinRef, null, topic, "broadcast", static (writer, message) =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "broadcast"u8);
            writer.WriteString("event"u8, message.Event);
            writer.WritePropertyName("payload"u8);
            writer.WriteRawValue(message.Payload, skipInputValidation: true);
            writer.WritePropertyName("meta"u8);
            writer.WriteStartObject();
            writer.WriteBoolean("replayed"u8, true);
            writer.WriteString("id"u8, message.Id);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }, message);

    /// <summary>A vsn 2.0.0 message goes binary when its topic, event and meta fit kind 4.</summary>
    public override bool IsBinary(LogEntry entry) => Version == PhoenixVersion.V2 && Fits(DatabaseBroadcastMessage.Of(entry));

    /// <summary>Nothing: the session answers the join.</summary>
    public override byte[]? Subscribed(string channel, string offset) => null;

    /// <summary>
    /// The channel's database broadcasts ended (claims changed, history gone, slot recreated): a <c>system</c> error, then
    /// <c>phx_error</c>, which makes realtime-js rejoin the channel: the join admits it afresh.
    /// </summary>
    public override void ResyncRequired(ISubscriberSink connection, string channel, string reason)
    {
        connection.TryEnqueue(SupabaseFrames.System(Version, null, Topic, "broadcast", ok: false, reason));
        connection.TryEnqueue(SupabaseFrames.ChannelError(Version, Topic));
    }

    public override void Error(ISubscriberSink connection, string channel, string code, string message, bool ended)
    {
        connection.TryEnqueue(SupabaseFrames.System(Version, null, Topic, "broadcast", ok: false, $"{code}: {message}"));
        if (ended)
            connection.TryEnqueue(SupabaseFrames.ChannelError(Version, Topic));
    }

    private bool Fits(in DatabaseBroadcastMessage message) =>
        Encoding.UTF8.GetByteCount(Topic) <= SupabaseRoomFrames.MaxBinaryField
        && Encoding.UTF8.GetByteCount(message.Event) <= SupabaseRoomFrames.MaxBinaryField
        && Meta(message).Length <= SupabaseRoomFrames.MaxBinaryField;

    private static byte[] Meta(in DatabaseBroadcastMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            WriteMeta(writer, message);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>{"id":&lt;row id&gt;,"offset":&lt;offset&gt;}</c>.</summary>
    private static void WriteMeta(Utf8JsonWriter writer, in DatabaseBroadcastMessage message)
    {
        writer.WriteStartObject();
        if (message.Id is null)
            writer.WriteNull("id"u8);
        else
            writer.WriteString("id"u8, message.Id);
        writer.WriteString("offset"u8, message.Offset);
        writer.WriteEndObject();
    }
}
