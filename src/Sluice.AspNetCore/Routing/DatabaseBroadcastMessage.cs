using Sluice.Server.Capture;
using Sluice.Server.Log;

namespace Sluice.Server.Routing;

/// <summary>
/// What every protocol shows of a database broadcast (a logged INSERT of <c>realtime.messages</c>, see
/// <see cref="DatabaseBroadcastRows"/>): the row's id, its event and JSON payload, and the change's offset. Pure: protocols
/// read it under the router's lock, while serializing a frame.
/// </summary>
internal readonly record struct DatabaseBroadcastMessage(string? Id, string Event, string Payload, string Offset)
{
    /// <summary>
    /// The row's values by column name. The router's filter admits only rows with an event and a payload; were one missing
    /// all the same, the message has an empty event and a null payload rather than fail under the lock.
    /// </summary>
    public static DatabaseBroadcastMessage Of(LogEntry entry)
    {
        var change = entry.Change;
        var values = change.NewValues ?? [];
        return new DatabaseBroadcastMessage(
            Value(change.Table, values, DatabaseBroadcastRows.IdColumn),
            Value(change.Table, values, DatabaseBroadcastRows.EventColumn) ?? "",
            Value(change.Table, values, DatabaseBroadcastRows.PayloadColumn) ?? "null",
            entry.OffsetText);
    }

    private static string? Value(TableSchema table, string?[] values, string column)
    {
        var ordinal = table.IndexOf(column);
        return ordinal >= 0 && ordinal < values.Length && values[ordinal] is { } value && !RowValues.IsUnavailable(value) ? value : null;
    }
}
