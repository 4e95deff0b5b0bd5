using System.Text;
using Sluice.Server.Capture;

namespace Sluice.Server.Routing;

/// <summary>
/// Database broadcasts (Supabase's "Broadcast from Database") as the core sees them: the committed INSERTs of
/// <c>realtime.messages</c> (written by <c>realtime.send</c> and <c>realtime.broadcast_changes</c>, see
/// <see cref="Database.RealtimeSchema"/>), captured from the WAL like any table's changes. A topic's receivers follow the
/// rows <see cref="FilterFor"/> selects: that topic, <c>extension = 'broadcast'</c>, one privacy (private rows reach only
/// private receivers, public rows only public ones), with an event and a JSON payload. Rows without an event or with a
/// binary payload only (<c>send_binary</c>) are not delivered.
/// </summary>
internal static class DatabaseBroadcastRows
{
    public const string Schema = "realtime";
    public const string Table = "messages";

    /// <summary>The row's uuid (<c>meta.id</c> of a delivered message).</summary>
    public const string IdColumn = "id";

    /// <summary>The message's event name.</summary>
    public const string EventColumn = "event";

    /// <summary>The message's JSON payload (<c>jsonb</c>, delivered as PostgreSQL prints it).</summary>
    public const string PayloadColumn = "payload";

    public static readonly TableKey Key = new(Schema, Table);

    /// <summary>Whether <paramref name="table"/> is <c>realtime.messages</c> (as its changes arrive: the publication publishes its partitions' rows as the root's).</summary>
    public static bool IsMessagesTable(TableSchema table) =>
        string.Equals(table.Schema, Schema, StringComparison.Ordinal) && string.Equals(table.Name, Table, StringComparison.Ordinal);

    /// <summary>Whether the payload of a <c>realtime.messages</c> row is larger than <paramref name="maxBytes"/> (UTF-8 bytes of its JSON text).</summary>
    public static bool PayloadExceeds(RowChange change, int maxBytes)
    {
        var ordinal = change.Table.IndexOf(PayloadColumn);
        var values = change.NewValues;
        if (values is null || ordinal < 0 || ordinal >= values.Length || values[ordinal] is not { } payload)
            return false;
        // A UTF-16 char is 1 to 3 UTF-8 bytes: count only when the length alone does not decide.
        if ((long)payload.Length * 3 <= maxBytes)
            return false;
        return payload.Length > maxBytes || Encoding.UTF8.GetByteCount(payload) > maxBytes;
    }

    /// <summary>
    /// The row filter of <paramref name="topic"/>'s broadcasts of one privacy. The topic comes first: it is the condition the
    /// router indexes by. The value is always quoted, so no topic can add a condition.
    /// </summary>
    public static string FilterFor(string topic, bool privateMessages)
    {
        var filter = new StringBuilder(topic.Length + 96);
        filter.Append("topic=eq.\"");
        foreach (var c in topic)
        {
            if (c is '"' or '\\')
                filter.Append('\\');
            filter.Append(c);
        }
        filter.Append("\",extension=eq.broadcast,private=is.").Append(privateMessages ? "true" : "false")
            .Append(',').Append(EventColumn).Append("=is.not_null,").Append(PayloadColumn).Append("=is.not_null");
        return filter.ToString();
    }
}
