using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Bench.Clients;

/// <summary>The <c>"sent_ticks":N</c> write-time stamp inside a payload held as a string (the SignalR baseline).</summary>
public static partial class SentTicks
{
    /// <summary>The stamp, read with a plain scan like <see cref="FrameScan.Long"/> (it runs for every delivered message).</summary>
    public static long? Read(string payload)
    {
        const string Property = "\"sent_ticks\":";
        var at = payload.AsSpan().IndexOf(Property, StringComparison.Ordinal);
        if (at < 0)
            return null;
        var digits = payload.AsSpan(at + Property.Length).TrimStart(' ');
        var end = digits.IndexOfAnyExceptInRange('0', '9');
        return long.TryParse(end < 0 ? digits : digits[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
    }

    /// <summary>The payload with its stamp replaced by <paramref name="ticks"/>.</summary>
    public static string Stamp(string payload, long ticks) =>
        Pattern().Replace(payload, $"\"sent_ticks\":{ticks.ToString(CultureInfo.InvariantCulture)}", 1);

    [GeneratedRegex("\"sent_ticks\":\\s*(\\d+)")]
    private static partial Regex Pattern();
}
