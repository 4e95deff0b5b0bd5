using System.Text;
using System.Text.Json;
using Sluice.Server.Capture;
using Sluice.Server.Log;
using Sluice.Server.Routing;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// Writes the router's frames for one <c>postgres_changes</c> binding of one topic as Supabase <c>postgres_changes</c>
/// messages carrying that binding's id. Each binding is its own router subscription, on a
/// router channel named after (vsn, topic, binding id), so a change is serialized once for all connections with the same
/// binding on the same topic. A binding's <c>select</c> limits <c>record</c>, <c>old_record</c> and <c>columns</c> to its
/// columns; a record larger than <paramref name="maxRecordBytes"/> is sent with <c>errors</c> and only its small values.
/// </summary>
internal sealed class SupabaseChangeFormat(PhoenixVersion version, string topic, int bindingId, IReadOnlyList<string>? select = null,
    int maxRecordBytes = SupabaseChangeFormat.DefaultMaxRecordBytes, Observability.SluiceMetrics? metrics = null) : ChangeFrameFormat(metrics)
{
    /// <summary>Supabase's default maximum record size: 1 MiB.</summary>
    public const int DefaultMaxRecordBytes = 1024 * 1024;

    /// <summary>The largest value (UTF-8 bytes of its text) kept in a record that is too large, as Supabase does.</summary>
    public const int SmallValueBytes = 64;

    private readonly int _maxRecordBytes = maxRecordBytes;
    private readonly HashSet<string>? _select = select is null ? null : new HashSet<string>(select, StringComparer.Ordinal);

    public PhoenixVersion Version { get; } = version;

    public string Topic { get; } = topic;

    public int BindingId { get; } = bindingId;

    /// <summary>The router channel of a binding: unique per (vsn, topic, binding id).</summary>
    public string RouterChannel => RouterChannelOf(Version, Topic, BindingId);

    public static string RouterChannelOf(PhoenixVersion version, string topic, int bindingId) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"supabase{(version == PhoenixVersion.V2 ? 2 : 1)}:{bindingId}:{topic}");

    public override byte[] Change(string channel, LogEntry entry, bool transactionEnd, ChangeShape shape) =>
        PhoenixSerializer.Write(Version, null, null, Topic, "postgres_changes", static (writer, state) =>
        {
            var (entry, shape, format) = state;
            var change = entry.Change;
            var table = change.Table;
            var record = change.NewValues is not null && shape != ChangeShape.AsDelete ? change.NewValues : null;
            var hasOld = change.Kind != ChangeKind.Insert && shape != ChangeShape.WithoutOld;
            var oldRecord = hasOld ? change.OldValues : null;
            var tooLarge = format.IsTooLarge(table, record, oldRecord);

            writer.WriteStartObject();
            writer.WritePropertyName("ids"u8);
            writer.WriteStartArray();
            writer.WriteNumberValue(format.BindingId);
            writer.WriteEndArray();
            writer.WritePropertyName("data"u8);
            writer.WriteStartObject();
            writer.WriteString("schema"u8, table.Schema);
            writer.WriteString("table"u8, table.Name);
            writer.WriteString("commit_timestamp"u8, Milliseconds(entry.CommitTimestampText));
            // Sluice's extension: send it back as the binding's "since" to resume right after this change.
            entry.WriteOffset(writer, "offset"u8);
            writer.WriteString("type"u8, shape == ChangeShape.AsDelete ? "DELETE" : change.Kind switch
            {
                ChangeKind.Insert => "INSERT",
                ChangeKind.Update => "UPDATE",
                ChangeKind.Delete => "DELETE",
                _ => "TRUNCATE",
            });
            writer.WritePropertyName("columns"u8);
            writer.WriteStartArray();
            foreach (var column in table.Columns)
            {
                if (!format.Selected(column.Name))
                    continue;
                writer.WriteStartObject();
                writer.WriteString("name"u8, column.Name);
                writer.WriteString("type"u8, PgTypeNames.Of(column.Type));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            if (record is not null)
            {
                writer.WritePropertyName("record"u8);
                format.WriteRow(writer, table, record, tooLarge);
            }
            if (hasOld)
            {
                writer.WritePropertyName("old_record"u8);
                if (oldRecord is not null)
                    format.WriteRow(writer, table, oldRecord, tooLarge);
                else
                    SupabaseFrames.WriteEmptyObject(writer);
            }
            if (tooLarge)
            {
                writer.WritePropertyName("errors"u8);
                writer.WriteStartArray();
                writer.WriteStringValue("Error 413: Payload Too Large"u8);
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteNull("errors"u8);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }, (entry, shape, this));

    private bool Selected(string column) => _select is null || _select.Contains(column);

    /// <summary>
    /// Whether the rows as sent (UTF-8 bytes of selected column names and values) exceed the limit. Counting characters
    /// first settles the usual case without scanning the text: UTF-8 needs at most 3 bytes per UTF-16 character.
    /// </summary>
    private bool IsTooLarge(TableSchema table, string?[]? record, string?[]? oldRecord) =>
        3 * (RecordSize(table, record, utf8: false) + RecordSize(table, oldRecord, utf8: false)) > _maxRecordBytes
        && RecordSize(table, record, utf8: true) + RecordSize(table, oldRecord, utf8: true) > _maxRecordBytes;

    /// <summary>The selected column names and values of a row, in UTF-8 bytes or in characters.</summary>
    private long RecordSize(TableSchema table, string?[]? values, bool utf8)
    {
        if (values is null)
            return 0;
        long bytes = 0;
        var columns = table.Columns;
        for (var i = 0; i < columns.Length && i < values.Length; i++)
        {
            var value = values[i];
            if (RowValues.IsUnavailable(value) || !Selected(columns[i].Name))
                continue;
            bytes += utf8
                ? Encoding.UTF8.GetByteCount(columns[i].Name) + (value is null ? 4 : Encoding.UTF8.GetByteCount(value))
                : columns[i].Name.Length + (value?.Length ?? 4);
        }
        return bytes;
    }

    private void WriteRow(Utf8JsonWriter writer, TableSchema table, string?[] values, bool smallValuesOnly)
    {
        if (_select is null && !smallValuesOnly)
        {
            RowJson.Write(writer, table, values);
            return;
        }
        writer.WriteStartObject();
        var columns = table.Columns;
        for (var i = 0; i < columns.Length && i < values.Length; i++)
        {
            var value = values[i];
            if (RowValues.IsUnavailable(value) || !Selected(columns[i].Name)
                || (smallValuesOnly && value is not null && Encoding.UTF8.GetByteCount(value) > SmallValueBytes))
                continue;
            writer.WritePropertyName(columns[i].JsonName);
            if (value is null)
                writer.WriteNullValue();
            else
                PgValueJson.Write(writer, columns[i].Type, value);
        }
        writer.WriteEndObject();
    }

    /// <summary>Nothing per binding: the session sends "Subscribed to PostgreSQL" once all bindings of a join are live.</summary>
    public override byte[]? Subscribed(string channel, string offset) => null;

    /// <summary>
    /// The binding's subscription ended (claims changed, history gone, slot recreated): a <c>system</c> error, then
    /// <c>phx_error</c> (join_ref and ref null, so it applies to the current join), which makes realtime-js rejoin the
    /// channel with its current token: the join subscribes afresh.
    /// </summary>
    public override void ResyncRequired(ISubscriberSink connection, string channel, string reason)
    {
        connection.TryEnqueue(SupabaseFrames.System(Version, null, Topic, "postgres_changes", ok: false, reason));
        connection.TryEnqueue(SupabaseFrames.ChannelError(Version, Topic));
    }

    public override void Error(ISubscriberSink connection, string channel, string code, string message, bool ended)
    {
        connection.TryEnqueue(SupabaseFrames.System(Version, null, Topic, "postgres_changes", ok: false, $"{code}: {message}"));
        if (ended)
            connection.TryEnqueue(SupabaseFrames.ChannelError(Version, Topic));
    }

    /// <summary><c>2026-11-23T08:18:13.421123Z</c> → <c>2026-11-23T08:18:13.421Z</c>, as Supabase writes it.</summary>
    internal static string Milliseconds(string commitTimestamp) =>
        commitTimestamp.Length > 24 && commitTimestamp[19] == '.' ? string.Concat(commitTimestamp.AsSpan(0, 23), "Z") : commitTimestamp;

}
