using Sluice.Server.Capture;

namespace Sluice.Tests.Routing;

/// <summary><c>realtime.messages</c> as pgoutput describes it (Supabase's final shape), and its rows as captured (text values).</summary>
internal static class RealtimeMessagesRows
{
    public static readonly TableSchema Table = new(4242, "realtime", "messages",
    [
        new TableColumn("topic", new ColumnType(25, ValueKind.Text), IsKey: false),
        new TableColumn("extension", new ColumnType(25, ValueKind.Text), IsKey: false),
        new TableColumn("payload", new ColumnType(3802, ValueKind.Json), IsKey: false),
        new TableColumn("event", new ColumnType(25, ValueKind.Text), IsKey: false),
        new TableColumn("private", new ColumnType(16, ValueKind.Boolean), IsKey: false),
        new TableColumn("updated_at", new ColumnType(1114, ValueKind.Timestamp), IsKey: false),
        new TableColumn("inserted_at", new ColumnType(1114, ValueKind.Timestamp), IsKey: true),
        new TableColumn("id", new ColumnType(2950, ValueKind.Uuid), IsKey: true),
        new TableColumn("binary_payload", new ColumnType(17, ValueKind.Text), IsKey: false),
    ]);

    /// <summary>An INSERT as <c>realtime.send(payload, eventName, topic, isPrivate)</c> writes it (payload already with its id).</summary>
    public static RowChange Send(string id, string? payload, string? eventName, string topic, bool isPrivate, string extension = "broadcast") =>
        new(ChangeKind.Insert, Table,
            [topic, extension, payload, eventName, isPrivate ? "t" : "f", "2026-12-03 07:00:00.123456", "2026-12-03 07:00:00.123456", id, null], null);
}
