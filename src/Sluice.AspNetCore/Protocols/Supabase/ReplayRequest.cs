using System.Text.Json;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// <c>config.broadcast.replay</c> of a join, read as Supabase reads it: <c>since</c> (milliseconds since the Unix epoch, an
/// integer, required) and <c>limit</c> (an integer, 25 when absent or null, clamped to 1–25). Supabase replays the newest
/// <c>limit</c> stored broadcasts of a private topic inserted at or after <c>since</c>, oldest first.
/// </summary>
internal readonly record struct ReplayRequest(DateTime Since, int Limit)
{
    /// <summary>Supabase's hard limit, and its default.</summary>
    public const int MaxLimit = 25;

    /// <summary>Supabase's reason for a replay on a public channel.</summary>
    public const string NotOnPublicChannels = "UnableToReplayMessages: Replay is not allowed for public channels";

    /// <summary>Supabase's reason for a <c>since</c> or <c>limit</c> it cannot use.</summary>
    public const string InvalidParameters = "UnableToReplayMessages: Replay params are not valid";

    /// <summary>Supabase's reason when the stored messages cannot be read.</summary>
    public const string Failed = "UnableToReplayMessages: Realtime was unable to replay messages";

    /// <summary>
    /// What the join asks for: <see cref="ReplayAsk.None"/> without the key, <see cref="ReplayAsk.Ignored"/> when it is not an
    /// object (Supabase replays nothing then, and a private channel joins without an error), <see cref="ReplayAsk.Invalid"/>,
    /// or <see cref="ReplayAsk.Valid"/> with the request.
    /// </summary>
    public static ReplayAsk Read(JsonElement joinPayload, out ReplayRequest request)
    {
        request = default;
        if (joinPayload.ValueKind != JsonValueKind.Object || !joinPayload.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object
            || !config.TryGetProperty("broadcast", out var broadcast) || broadcast.ValueKind != JsonValueKind.Object
            || !broadcast.TryGetProperty("replay", out var replay))
            return ReplayAsk.None;
        if (replay.ValueKind != JsonValueKind.Object)
            return ReplayAsk.Ignored;
        if (!replay.TryGetProperty("since", out var since) || since.ValueKind != JsonValueKind.Number || !since.TryGetInt64(out var sinceMs)
            || sinceMs < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || sinceMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            return ReplayAsk.Invalid;
        var limit = MaxLimit;
        if (replay.TryGetProperty("limit", out var limitElement) && limitElement.ValueKind != JsonValueKind.Null)
        {
            if (limitElement.ValueKind != JsonValueKind.Number || !limitElement.TryGetInt64(out var asked))
                return ReplayAsk.Invalid;
            limit = (int)Math.Clamp(asked, 1, MaxLimit);
        }
        request = new ReplayRequest(DateTimeOffset.FromUnixTimeMilliseconds(sinceMs).UtcDateTime, limit);
        return ReplayAsk.Valid;
    }
}

/// <summary>What a join's <c>config.broadcast.replay</c> asks for (see <see cref="ReplayRequest.Read"/>).</summary>
internal enum ReplayAsk
{
    None,
    Ignored,
    Invalid,
    Valid,
}
