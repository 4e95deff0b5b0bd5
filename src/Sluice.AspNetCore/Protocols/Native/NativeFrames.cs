using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Protocol;
using Sluice.Server.Protocols.Messages;
using Sluice.Server.Capture;
using Sluice.Server.Limits;
using Sluice.Server.Log;

namespace Sluice.Server.Protocols.Native;

/// <summary>Serializes server frames of the native protocol (the Fluxbase frames plus additive fields, docs/protocol.md) to UTF-8 JSON.</summary>
internal static class NativeFrames
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The thread's writer over <see cref="t_buffer"/>, reset for every frame (a frame is written start to end on one thread).</summary>
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary><c>{"type":"heartbeat"}</c>, shared by every connection.</summary>
    public static byte[] Heartbeat { get; } = Write(static (writer, _) => writer.WriteString("type"u8, FrameTypes.Heartbeat), 0);

    /// <summary><c>{"type":"heartbeat","ref":…}</c>: the answer to a client heartbeat that carried a ref.</summary>
    public static byte[] HeartbeatReply(string reference) =>
        Write(static (writer, reference) =>
        {
            writer.WriteString("type"u8, FrameTypes.Heartbeat);
            writer.WriteString("ref"u8, reference);
        }, reference);

    /// <summary>The ack of a table subscription whose offset comes later (a snapshot's last chunk carries it).</summary>
    /// <param name="channel">The table channel.</param>
    /// <param name="id">The subscription's id (see <see cref="NativeSubscriptionKey"/>); null writes none.</param>
    public static byte[] Ack(string channel, string? id = null) => WithChannel(FrameTypes.Ack, channel, id);

    /// <summary>The ack of a live table subscription, with the offset it starts after: resuming from it misses nothing.</summary>
    public static byte[] TableAck(string channel, string offset, string? id = null) =>
        Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.Ack);
            WriteChannel(writer, state.channel, state.id);
            writer.WriteString("offset"u8, state.offset);
        }, (channel, offset, id));

    /// <summary>
    /// The ack of a room subscription: <c>offset</c> where its room messages start and, when the room receives database
    /// broadcasts, <c>database_offset</c> where those start (a change-log offset; absent otherwise).
    /// </summary>
    public static byte[] Ack(string channel, string offset, string? databaseOffset) =>
        Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.Ack);
            writer.WriteString("channel"u8, state.channel);
            writer.WriteString("offset"u8, state.offset);
            if (state.databaseOffset is not null)
                writer.WriteString("database_offset"u8, state.databaseOffset);
        }, (channel, offset, databaseOffset));

    public static byte[] Unsubscribed(string channel, string? id = null) => WithChannel(FrameTypes.Unsubscribed, channel, id);

    /// <summary>An error, about <paramref name="channel"/> (and the subscription <paramref name="id"/> of it) when given.</summary>
    public static byte[] Error(string code, string message, string? channel = null, string? id = null) =>
        Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.Error);
            writer.WriteString("error"u8, state.message);
            writer.WriteString("code"u8, state.code);
            if (state.channel is not null)
                writer.WriteString("channel"u8, state.channel);
            if (state.id is not null)
                writer.WriteString("id"u8, state.id);
        }, (code, message, channel, id));

    public static byte[] Error(ProtocolError error) => Error(error.Code, error.Message, error.Channel, error.Id);

    /// <summary>
    /// A database change: the Fluxbase <c>broadcast</c> frame plus <c>offset</c>, <c>commit_timestamp</c> and,
    /// on the last change of its transaction for this channel, <c>tx_end</c>. <paramref name="shape"/> narrows it for a
    /// subscriber that row-level security lets see only part of it.
    /// </summary>
    /// <remarks>
    /// A change over <paramref name="maxRecordBytes"/> is sent reduced (see <see cref="RecordLimit"/>): key columns and small
    /// values only, with <c>too_large: true</c>, <c>key_columns</c> and <c>omitted_columns</c> in the payload.
    /// </remarks>
    public static byte[] Change(string channel, LogEntry entry, bool transactionEnd, Routing.ChangeShape shape = Routing.ChangeShape.AsCaptured,
        int maxRecordBytes = RecordLimit.DefaultMaxRecordBytes, string? id = null) =>
        Write(static (writer, state) =>
        {
            var (channel, id, entry, transactionEnd, shape, maxRecordBytes) = state;
            var change = entry.Change;
            var tooLarge = RecordLimit.IsTooLarge(change, shape, maxRecordBytes);
            writer.WriteString("type"u8, FrameTypes.Broadcast);
            WriteChannel(writer, channel, id);
            entry.WriteOffset(writer, "offset"u8);
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
            var (record, old) = RecordLimit.Rows(change, shape);
            if (record is not null)
            {
                writer.WritePropertyName("record"u8);
                RowJson.Write(writer, change.Table, record, tooLarge);
            }
            if (old is not null)
            {
                writer.WritePropertyName("old_record"u8);
                RowJson.Write(writer, change.Table, old, tooLarge);
            }
            if (tooLarge)
                WriteReducedMarkers(writer, change.Table, record, old);
            writer.WriteEndObject();
        }, (channel, id, entry, transactionEnd, shape, maxRecordBytes));

    /// <summary><c>too_large</c>, the columns that identify the row, and the columns left out of record or old_record.</summary>
    private static void WriteReducedMarkers(Utf8JsonWriter writer, TableSchema table, string?[]? record, string?[]? old)
    {
        writer.WriteBoolean("too_large"u8, true);
        writer.WritePropertyName("key_columns"u8);
        writer.WriteStartArray();
        foreach (var key in table.KeyColumns)
            writer.WriteStringValue(key);
        writer.WriteEndArray();
        writer.WritePropertyName("omitted_columns"u8);
        writer.WriteStartArray();
        var columns = table.Columns;
        for (var i = 0; i < columns.Length; i++)
        {
            if (Omits(record) || Omits(old))
                writer.WriteStringValue(columns[i].Name);

            bool Omits(string?[]? values) =>
                values is not null && i < values.Length && !RowValues.IsUnavailable(values[i]) && !RecordLimit.Keeps(table, i, values[i]);
        }
        writer.WriteEndArray();
    }

    /// <summary><c>{"type":"auth_ok","role":…,"expires_at":…}</c>: a refreshed token was accepted (<c>expires_at</c> in Unix seconds).</summary>
    public static byte[] AuthOk(string role, DateTimeOffset? expiresAt) =>
        Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.AuthOk);
            writer.WriteString("role"u8, state.role);
            if (state.expiresAt is { } expires)
                writer.WriteNumber("expires_at"u8, expires.ToUnixTimeSeconds());
        }, (role, expiresAt));

    /// <summary><c>{"type":"resync_required"}</c>: the requested history is gone; subscribe again with a snapshot (counted in <paramref name="metrics"/>).</summary>
    public static byte[] ResyncRequired(string channel, string reason, Observability.SluiceMetrics? metrics, string? id = null)
    {
        metrics?.ResyncRequired();
        return Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, FrameTypes.ResyncRequired);
            WriteChannel(writer, state.channel, state.id);
            writer.WriteString("error"u8, state.reason);
        }, (channel, reason, id));
    }

    /// <summary>
    /// A <c>snapshot</c> frame of rows already serialized as a JSON array. When some were reduced for being over the maximum
    /// record size, <c>too_large_rows</c> lists them (<c>index</c> into <c>rows</c>, <c>omitted_columns</c>) and
    /// <c>key_columns</c> names the columns to read them whole by.
    /// </summary>
    public static byte[] Snapshot(string channel, Snapshots.SnapshotChunk chunk, IReadOnlyList<string> keyColumns, bool last, string? offset, string? id = null) =>
        Write(static (writer, state) =>
        {
            var (channel, id, chunk, keyColumns, last, offset) = state;
            writer.WriteString("type"u8, FrameTypes.Snapshot);
            WriteChannel(writer, channel, id);
            writer.WritePropertyName("rows"u8);
            writer.WriteRawValue(chunk.Rows.Span, skipInputValidation: true);
            writer.WriteBoolean("last"u8, last);
            if (offset is not null)
                writer.WriteString("offset"u8, offset);
            if (chunk.ReducedRows.Count == 0)
                return;
            writer.WritePropertyName("too_large_rows"u8);
            writer.WriteStartArray();
            foreach (var row in chunk.ReducedRows)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index"u8, row.Index);
                WriteStrings(writer, "omitted_columns"u8, row.OmittedColumns);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            WriteStrings(writer, "key_columns"u8, keyColumns);
        }, (channel, id, chunk, keyColumns, last, offset));

    private static void WriteStrings(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyList<string> values)
    {
        writer.WritePropertyName(name);
        writer.WriteStartArray();
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    private static byte[] WithChannel(string type, string channel, string? id) =>
        Write(static (writer, state) =>
        {
            writer.WriteString("type"u8, state.type);
            WriteChannel(writer, state.channel, state.id);
        }, (type, channel, id));

    /// <summary><c>channel</c> and, for a table subscription with an id, <c>id</c> right after it (absent otherwise: the frames without ids are unchanged).</summary>
    /// <summary>
    /// Several replayed changes of one subscription in one frame: <c>{"type":"changes","channel":…,"id":…,"changes":[…]}</c>,
    /// each element the <c>broadcast</c> frame the change would have come in alone (<paramref name="frames"/>, already written).
    /// </summary>
    public static byte[] Changes(string channel, IReadOnlyList<byte[]> frames, string? id = null) =>
        Write(static (writer, state) =>
        {
            var (channel, id, frames) = state;
            writer.WriteString("type"u8, FrameTypes.Changes);
            WriteChannel(writer, channel, id);
            writer.WriteStartArray("changes"u8);
            foreach (var frame in frames)
                writer.WriteRawValue(frame, skipInputValidation: true);
            writer.WriteEndArray();
        }, (channel, id, frames));

    private static void WriteChannel(Utf8JsonWriter writer, string channel, string? id)
    {
        writer.WriteString("channel"u8, channel);
        if (id is not null)
            writer.WriteString("id"u8, id);
    }

    internal static byte[] Write<TState>(Action<Utf8JsonWriter, TState> body, TState state)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        writer.WriteStartObject();
        body(writer, state);
        writer.WriteEndObject();
        writer.Flush();
        var frame = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 1024 * 1024)
            (t_buffer, t_writer) = (null, null);
        return frame;
    }
}
