using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Bench.Clients;

/// <summary>The <c>"sent_ticks":N</c> write-time stamp inside a payload held as a string (the SignalR baseline).</summary>
public static partial class SentTicks
{
    public static long? Read(string payload)
    {
        var match = Pattern().Match(payload);
        return match.Success ? long.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The payload with its stamp replaced by <paramref name="ticks"/>.</summary>
    public static string Stamp(string payload, long ticks) =>
        Pattern().Replace(payload, $"\"sent_ticks\":{ticks.ToString(CultureInfo.InvariantCulture)}", 1);

    [GeneratedRegex("\"sent_ticks\":\\s*(\\d+)")]
    private static partial Regex Pattern();
}
