using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>Builds the gapless subscribe frames and reads the fields of the server's frames.</summary>
public static class Frames
{
    /// <summary>A subscribe frame: plain, resuming (<paramref name="since"/>) or with a snapshot.</summary>
    public static string Subscribe(string channel, string? since = null, bool snapshot = false, string? filter = null)
    {
        var frame = new JsonObject { ["type"] = "subscribe", ["channel"] = channel };
        if (since is not null)
            frame["since"] = since;
        if (snapshot)
            frame["snapshot"] = true;
        if (filter is not null)
            frame["filter"] = filter;
        return frame.ToJsonString();
    }

    public static string Type(JsonElement frame) => frame.GetProperty("type").GetString()!;

    public static string Offset(JsonElement frame) => frame.GetProperty("offset").GetString()!;

    /// <summary>INSERT, UPDATE or DELETE.</summary>
    public static string Kind(JsonElement change) => change.GetProperty("payload").GetProperty("type").GetString()!;

    /// <summary>The row id: from <c>record</c>, or from <c>old_record</c> for a DELETE.</summary>
    public static long Id(JsonElement change)
    {
        var payload = change.GetProperty("payload");
        var row = payload.TryGetProperty("record", out var record) ? record : payload.GetProperty("old_record");
        return row.GetProperty("id").GetInt64();
    }

    /// <summary>True only when the frame carries <c>"tx_end": true</c>.</summary>
    public static bool TxEnd(JsonElement change) =>
        change.TryGetProperty("tx_end", out var value) && value.ValueKind == JsonValueKind.True;

    /// <summary>Each offset sorts after the one before it (offsets compare as ordinal strings).</summary>
    public static void AssertStrictlyIncreasing(IReadOnlyList<string> offsets)
    {
        for (var i = 1; i < offsets.Count; i++)
            Assert.True(string.CompareOrdinal(offsets[i - 1], offsets[i]) < 0, $"offset {offsets[i]} does not follow {offsets[i - 1]}");
    }

    /// <summary>Sends a subscribe with <c>since</c> and returns the server's first answer (ack, resync_required or error).</summary>
    public static async Task<JsonElement> ResumeAsync(TestClient client, string channel, string since)
    {
        await client.SendTextAsync(Subscribe(channel, since: since));
        return await client.NextAsync();
    }

    /// <summary>Subscribes with a snapshot, expects the ack and reads every snapshot frame up to the one with <c>last</c>.</summary>
    public static async Task<SnapshotResult> SnapshotAsync(TestClient client, string channel, string? filter = null)
    {
        await client.SendTextAsync(Subscribe(channel, snapshot: true, filter: filter));
        var ack = await client.NextAsync();
        Assert.True(Type(ack) == "ack", $"expected ack, got {ack}");
        Assert.Equal(channel, ack.GetProperty("channel").GetString());

        var rows = new List<JsonElement>();
        var frames = 0;
        while (true)
        {
            var frame = await client.NextAsync();
            Assert.True(Type(frame) == "snapshot", $"expected a snapshot frame, got {frame}");
            Assert.Equal(channel, frame.GetProperty("channel").GetString());
            frames++;
            rows.AddRange(frame.GetProperty("rows").EnumerateArray());
            if (frame.GetProperty("last").GetBoolean())
            {
                var offset = frame.TryGetProperty("offset", out var value) ? value.GetString() : null;
                Assert.False(string.IsNullOrEmpty(offset), $"the last snapshot frame has no offset: {frame}");
                return new SnapshotResult(rows, frames, offset!);
            }
        }
    }
}
