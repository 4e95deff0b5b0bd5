using System.Text.Json;

namespace Sluice.Client.Tests.Fakes;

/// <summary>Server frames of the native protocol, as the real server writes them.</summary>
public static class Frames
{
    public const string Products = "table:public.products";

    public static string Ack(string channel) => Json(new { type = "ack", channel });

    public static string Heartbeat() => """{"type":"heartbeat"}""";

    public static string Offset(int n) => $"000000e1-0000000000000000-{n:X8}";

    public static string Insert(string channel, int offset, object record, bool txEnd = true) =>
        Change(channel, offset, "INSERT", record, null, txEnd);

    public static string Update(string channel, int offset, object record, object old, bool txEnd = true) =>
        Change(channel, offset, "UPDATE", record, old, txEnd);

    public static string Delete(string channel, int offset, object old, bool txEnd = true) =>
        Change(channel, offset, "DELETE", null, old, txEnd);

    public static string Truncate(string channel, int offset) => Change(channel, offset, "TRUNCATE", null, null, true);

    public static string Change(string channel, int offset, string kind, object? record, object? old, bool txEnd)
    {
        var payload = new Dictionary<string, object?> { ["type"] = kind, ["table"] = "products", ["schema"] = "public" };
        if (record is not null)
            payload["record"] = record;
        if (old is not null)
            payload["old_record"] = old;
        var frame = new Dictionary<string, object?>
        {
            ["type"] = "broadcast",
            ["channel"] = channel,
            ["offset"] = Offset(offset),
            ["commit_timestamp"] = "2025-01-31T12:00:00.123456Z",
            ["payload"] = payload,
        };
        if (txEnd)
            frame["tx_end"] = true;
        return Json(frame);
    }

    public static string Snapshot(string channel, object[] rows, bool last, string? offset) =>
        last ? Json(new { type = "snapshot", channel, rows, last, offset }) : Json(new { type = "snapshot", channel, rows, last });

    public static string Resync(string channel) => Json(new { type = "resync_required", channel, error = "the offset is older than the retention window" });

    public static string Error(string channel, string code, string error) => Json(new { type = "error", error, code, channel });

    /// <summary><paramref name="frame"/> with the table subscription id <paramref name="id"/>, as the server echoes it.</summary>
    public static string WithId(string frame, string id)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(frame)!.AsObject();
        node["id"] = id;
        return node.ToJsonString();
    }

    private static string Json(object value) => JsonSerializer.Serialize(value);
}
