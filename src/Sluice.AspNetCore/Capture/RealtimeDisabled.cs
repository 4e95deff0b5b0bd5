namespace Sluice.Server.Capture;

/// <summary>
/// <c>disable_realtime(schema, table)</c> committed in this transaction: from here on the table's changes are no longer
/// published, so its subscribers are told, in order with the changes committed before it.
/// </summary>
/// <param name="RelationId">The table's OID.</param>
/// <param name="Schema">Its schema when it was disabled.</param>
/// <param name="Table">Its name when it was disabled.</param>
internal sealed record RealtimeDisabled(uint RelationId, string Schema, string Table)
{
    /// <summary>The prefix of the logical decoding message <c>disable_realtime</c> writes.</summary>
    public const string MessagePrefix = "sluice.realtime_disabled";

    /// <summary>Reads the message's content, <c>{"relation":oid,"schema":…,"table":…}</c>; null when it is not that.</summary>
    public static RealtimeDisabled? Parse(ReadOnlySpan<byte> content)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(content);
            using var document = System.Text.Json.JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            return new RealtimeDisabled(root.GetProperty("relation").GetUInt32(), root.GetProperty("schema").GetString()!, root.GetProperty("table").GetString()!);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return null;
        }
    }
}
