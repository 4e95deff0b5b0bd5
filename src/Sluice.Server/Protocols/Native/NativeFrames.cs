using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Log;

namespace Sluice.Server.Protocols.Native;

/// <summary>Serializes server frames of the native protocol (seed 003 plus additive fields) to UTF-8 JSON.</summary>
public static class NativeFrames
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary><c>{"type":"heartbeat"}</c>, shared by every connection.</summary>
    public static byte[] Heartbeat { get; } = Write(static (writer, _) => writer.WriteString("type"u8, FrameTypes.Heartbeat), 0);

    /// <summary><c>{"type":"heartbeat","ref":…}</c>: the answer to a client heartbeat that carried a ref.</summary>
    public static byte[] HeartbeatReply(string reference) =>
        Write(static (writer, reference) =>
        {
            writer.WriteString("type"u8, FrameTypes.Heartbeat);
            writer.WriteString("ref"u8, reference);
        }, reference);

    public static byte[] Ack(string channel) => WithChannel(FrameTypes.Ack, channel);

    /// <summary>The ack of a live subscription, with the offset it starts after: resuming from it misses nothing.</summary>
    public static byte[] Ack(string channel, string offset) =>
        Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.Ack);
            writer.WriteString("channel"u8, state.channel);
            writer.WriteString("offset"u8, state.offset);
        }, (channel, offset));

    public static byte[] Unsubscribed(string channel) => WithChannel(FrameTypes.Unsubscribed, channel);

    public static byte[] Error(string code, string message, string? channel = null) =>
        Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.Error);
            writer.WriteString("error"u8, state.message);
            writer.WriteString("code"u8, state.code);
            if (state.channel is not null)
                writer.WriteString("channel"u8, state.channel);
        }, (code, message, channel));

    public static byte[] Error(ProtocolError error) => Error(error.Code, error.Message, error.Channel);

    /// <summary>
    /// A database change: seed 003's <c>broadcast</c> frame plus <c>offset</c>, <c>commit_timestamp</c> and,
    /// on the last change of its transaction for this channel, <c>tx_end</c>. <paramref name="shape"/> narrows it for a
    /// subscriber that row-level security lets see only part of it.
    /// </summary>
    public static byte[] Change(string channel, LogEntry entry, bool transactionEnd, Routing.ChangeShape shape = Routing.ChangeShape.AsCaptured) =>
        Write(static (writer, state) =>
        {
            var (channel, entry, transactionEnd, shape) = state;
            var change = entry.Change;
            writer.WriteString("type"u8, FrameTypes.Broadcast);
            writer.WriteString("channel"u8, channel);
            writer.WriteString("offset"u8, entry.OffsetText);
            writer.WriteString("commit_timestamp"u8, entry.CommitTimestampText);
            if (transactionEnd)
                writer.WriteBoolean("tx_end"u8, true);
            writer.WritePropertyName("payload"u8);
            writer.WriteStartObject();
            writer.WriteString("type"u8, shape == Routing.ChangeShape.AsDelete ? ChangeTypes.Delete : change.Kind switch
            {
                ChangeKind.Insert => ChangeTypes.Insert,
                ChangeKind.Update => ChangeTypes.Update,
                ChangeKind.Delete => ChangeTypes.Delete,
                _ => ChangeTypes.Truncate,
            });
            writer.WriteString("table"u8, change.Table.Name);
            writer.WriteString("schema"u8, change.Table.Schema);
            if (change.NewValues is not null && shape != Routing.ChangeShape.AsDelete)
            {
                writer.WritePropertyName("record"u8);
                WriteRow(writer, change.Table, change.NewValues);
            }
            if (change.OldValues is not null && shape != Routing.ChangeShape.WithoutOld)
            {
                writer.WritePropertyName("old_record"u8);
                WriteRow(writer, change.Table, change.OldValues);
            }
            writer.WriteEndObject();
        }, (channel, entry, transactionEnd, shape));

    /// <summary><c>{"type":"auth_ok","role":…,"expires_at":…}</c>: a refreshed token was accepted (<c>expires_at</c> in Unix seconds).</summary>
    public static byte[] AuthOk(string role, DateTimeOffset? expiresAt) =>
        Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.AuthOk);
            writer.WriteString("role"u8, state.role);
            if (state.expiresAt is { } expires)
                writer.WriteNumber("expires_at"u8, expires.ToUnixTimeSeconds());
        }, (role, expiresAt));

    /// <summary><c>{"type":"resync_required"}</c>: the requested history is gone; subscribe again with a snapshot.</summary>
    public static byte[] ResyncRequired(string channel, string reason)
    {
        Observability.SluiceMetrics.ResyncRequired();
        return Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.ResyncRequired);
            writer.WriteString("channel"u8, state.channel);
            writer.WriteString("error"u8, state.reason);
        }, (channel, reason));
    }

    /// <summary>A <c>snapshot</c> frame of rows already serialized as a JSON array.</summary>
    public static byte[] Snapshot(string channel, ReadOnlyMemory<byte> rowsArray, bool last, string? offset) =>
        Write(static (writer, state) =>
        {
            var (channel, rows, last, offset) = state;
            writer.WriteString("type"u8, FrameTypes.Snapshot);
            writer.WriteString("channel"u8, channel);
            writer.WritePropertyName("rows"u8);
            writer.WriteRawValue(rows.Span, skipInputValidation: true);
            writer.WriteBoolean("last"u8, last);
            if (offset is not null)
                writer.WriteString("offset"u8, offset);
        }, (channel, rowsArray, last, offset));

    /// <summary>Writes a row as a JSON object; values the WAL did not carry are left out.</summary>
    public static void WriteRow(Utf8JsonWriter writer, TableSchema table, string?[] values)
    {
        writer.WriteStartObject();
        var columns = table.Columns;
        for (var i = 0; i < columns.Length && i < values.Length; i++)
        {
            var value = values[i];
            if (RowValues.IsUnavailable(value))
                continue;
            writer.WritePropertyName(columns[i].Name);
            if (value is null)
                writer.WriteNullValue();
            else
                PgValueJson.Write(writer, columns[i].Type, value);
        }
        writer.WriteEndObject();
    }

    private static byte[] WithChannel(string type, string channel) =>
        Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, state.type);
            writer.WriteString("channel"u8, state.channel);
        }, (type, channel));

    internal static byte[] Write<TState>(Action<Utf8JsonWriter, TState> body, TState state)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer, state);
            writer.WriteEndObject();
        }
        var frame = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 1024 * 1024)
            t_buffer = null;
        return frame;
    }
}
