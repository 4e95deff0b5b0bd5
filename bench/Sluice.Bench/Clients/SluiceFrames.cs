namespace Sluice.Bench.Clients;

/// <summary>The Sluice native-protocol frames the harness recognises.</summary>
public static class SluiceFrames
{
    public static ReadOnlySpan<byte> Broadcast => "\"type\":\"broadcast\""u8;
    public static ReadOnlySpan<byte> Ack => "\"type\":\"ack\""u8;
    public static ReadOnlySpan<byte> Snapshot => "\"type\":\"snapshot\""u8;
    public static ReadOnlySpan<byte> Changes => "\"type\":\"changes\""u8;
    public static ReadOnlySpan<byte> Error => "\"type\":\"error\""u8;
    public static ReadOnlySpan<byte> Resync => "\"type\":\"resync_required\""u8;
    public static ReadOnlySpan<byte> SentTicks => "\"sent_ticks\":"u8;
    public static ReadOnlySpan<byte> Offset => "\"offset\":\""u8;

    /// <summary>A subscribe; with <paramref name="batchCatchUp"/>, the changes replayed after <c>since</c> come several to a <c>changes</c> frame.</summary>
    public static string Subscribe(string channel, string? filter = null, string? since = null, bool snapshot = false, bool batchCatchUp = false)
    {
        var frame = new System.Text.Json.Nodes.JsonObject { ["type"] = "subscribe", ["channel"] = channel };
        if (filter is not null)
            frame["filter"] = filter;
        if (since is not null)
            frame["since"] = since;
        if (snapshot)
            frame["snapshot"] = true;
        if (batchCatchUp)
            frame["batch_catch_up"] = true;
        return frame.ToJsonString();
    }
}
