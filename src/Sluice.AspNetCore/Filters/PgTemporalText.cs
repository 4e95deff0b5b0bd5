namespace Sluice.Server.Filters;

/// <summary>
/// Parses PostgreSQL ISO-DateStyle temporal text ("2024-01-02 03:04:05.123+05:30") and ISO-8601 filter
/// values ("2024-01-02T03:04:05Z") into order-preserving keys (see <see cref="FilterValue.Key"/>), without allocating.
/// </summary>
internal static class PgTemporalText
{
    private const int MaxOffsetSeconds = 16 * 3600 - 1; // PostgreSQL's TZDISP_LIMIT

    /// <summary>timestamp: date, then optionally ' ' or 'T' and a time; timestamptz also needs a time and an offset.</summary>
    public static bool TryParseTimestamp(ReadOnlySpan<char> text, bool withOffset, out long key)
    {
        if (TryParseSpecial(text, out key))
            return true;
        var pos = 0;
        if (!TryReadDate(text, ref pos, out var dayNumber, out var afterRange))
            return false;
        long timeTicks = 0;
        var offsetSeconds = 0;
        var hasTime = pos < text.Length && (text[pos] == ' ' || text[pos] == 'T');
        if (hasTime)
        {
            pos++;
            if (!TryReadTime(text, ref pos, out timeTicks))
                return false;
        }

        if (withOffset && (!hasTime || !TryReadOffset(text, ref pos, out offsetSeconds)))
            return false;
        if (pos != text.Length)
            return false;
        key = afterRange
            ? FilterValue.AfterRangeKey
            : (dayNumber * TimeSpan.TicksPerDay) + timeTicks - (offsetSeconds * TimeSpan.TicksPerSecond);
        return true;
    }

    /// <summary>date: "2024-01-02"; the key is the day number.</summary>
    public static bool TryParseDate(ReadOnlySpan<char> text, out long key)
    {
        if (TryParseSpecial(text, out key))
            return true;
        var pos = 0;
        if (!TryReadDate(text, ref pos, out var dayNumber, out var afterRange) || pos != text.Length)
            return false;
        key = afterRange ? FilterValue.AfterRangeKey : dayNumber;
        return true;
    }

    /// <summary>time: "03:04:05.123456" (seconds optional); the key is ticks since midnight.</summary>
    public static bool TryParseTime(ReadOnlySpan<char> text, out long key)
    {
        var pos = 0;
        return TryReadTime(text, ref pos, out key) && pos == text.Length;
    }

    /// <summary>
    /// timetz: "03:04:05+02". Ordered as PostgreSQL orders timetz: by the UTC time, then by zone, so only
    /// the same time in the same zone is equal.
    /// </summary>
    public static bool TryParseTimeTz(ReadOnlySpan<char> text, out long key)
    {
        key = 0;
        var pos = 0;
        if (!TryReadTime(text, ref pos, out var ticks) || !TryReadOffset(text, ref pos, out var offsetSeconds) || pos != text.Length)
            return false;
        const int zoneBits = 17; // |zone| < 2^16 seconds
        var utcTicks = ticks - (offsetSeconds * TimeSpan.TicksPerSecond);
        key = (utcTicks << zoneBits) + (-offsetSeconds + (1 << (zoneBits - 1)));
        return true;
    }

    /// <summary>'infinity', '-infinity' and BC dates, which .NET cannot represent.</summary>
    private static bool TryParseSpecial(ReadOnlySpan<char> text, out long key)
    {
        if (text.Equals("infinity", StringComparison.OrdinalIgnoreCase) || text.Equals("+infinity", StringComparison.OrdinalIgnoreCase))
            key = FilterValue.PositiveInfinityKey;
        else if (text.Equals("-infinity", StringComparison.OrdinalIgnoreCase))
            key = FilterValue.NegativeInfinityKey;
        else if (text.Length > 3 && text.EndsWith(" BC", StringComparison.Ordinal) && char.IsAsciiDigit(text[0]))
            key = FilterValue.BeforeRangeKey;
        else
        {
            key = 0;
            return false;
        }

        return true;
    }

    private static bool TryReadDate(ReadOnlySpan<char> text, ref int pos, out long dayNumber, out bool afterRange)
    {
        dayNumber = 0;
        afterRange = false;
        if (!TryReadNumber(text, ref pos, 4, 9, out var year) || year == 0 || !Expect(text, ref pos, '-'))
            return false;
        if (!TryReadNumber(text, ref pos, 2, 2, out var month) || !Expect(text, ref pos, '-'))
            return false;
        if (!TryReadNumber(text, ref pos, 2, 2, out var day) || month is < 1 or > 12 || day < 1)
            return false;
        if (year > 9999)
        {
            afterRange = true;
            return day <= 31;
        }

        if (day > DateTime.DaysInMonth(year, month))
            return false;
        dayNumber = new DateOnly(year, month, day).DayNumber;
        return true;
    }

    /// <summary>HH:mm[:ss[.fraction]]; 24:00:00 is allowed as in PostgreSQL.</summary>
    private static bool TryReadTime(ReadOnlySpan<char> text, ref int pos, out long ticks)
    {
        ticks = 0;
        if (!TryReadNumber(text, ref pos, 2, 2, out var hour) || !Expect(text, ref pos, ':'))
            return false;
        if (!TryReadNumber(text, ref pos, 2, 2, out var minute))
            return false;
        var second = 0;
        long fraction = 0;
        if (pos < text.Length && text[pos] == ':')
        {
            pos++;
            if (!TryReadNumber(text, ref pos, 2, 2, out second))
                return false;
            if (pos < text.Length && text[pos] == '.' && !TryReadFraction(text, ref pos, out fraction))
                return false;
        }

        if (hour > 24 || minute > 59 || second > 60)
            return false;
        ticks = (hour * TimeSpan.TicksPerHour) + (minute * TimeSpan.TicksPerMinute) + (second * TimeSpan.TicksPerSecond) + fraction;
        return ticks <= TimeSpan.TicksPerDay;
    }

    /// <summary>".ffffff…" as ticks; digits beyond the seventh are dropped.</summary>
    private static bool TryReadFraction(ReadOnlySpan<char> text, ref int pos, out long ticks)
    {
        ticks = 0;
        pos++;
        var digits = 0;
        while (pos < text.Length && char.IsAsciiDigit(text[pos]))
        {
            if (digits < 7)
                ticks = (ticks * 10) + (text[pos] - '0');
            digits++;
            pos++;
        }

        for (var i = digits; i < 7; i++)
            ticks *= 10;
        return digits > 0;
    }

    /// <summary>'Z', or ±HH, ±HH:mm, ±HHmm, ±HH:mm:ss; in seconds east of UTC.</summary>
    private static bool TryReadOffset(ReadOnlySpan<char> text, ref int pos, out int seconds)
    {
        seconds = 0;
        if (pos >= text.Length)
            return false;
        var sign = text[pos++];
        if (sign is 'Z' or 'z')
            return true;
        if (sign is not ('+' or '-') || !TryReadNumber(text, ref pos, 2, 2, out var hours))
            return false;
        var minutes = 0;
        var secs = 0;
        var colon = Expect(text, ref pos, ':');
        if (colon || (pos < text.Length && char.IsAsciiDigit(text[pos])))
        {
            if (!TryReadNumber(text, ref pos, 2, 2, out minutes))
                return false;
            if (colon && Expect(text, ref pos, ':') && !TryReadNumber(text, ref pos, 2, 2, out secs))
                return false;
        }

        if (minutes > 59 || secs > 59)
            return false;
        seconds = (hours * 3600) + (minutes * 60) + secs;
        if (seconds > MaxOffsetSeconds)
            return false;
        if (sign == '-')
            seconds = -seconds;
        return true;
    }

    private static bool TryReadNumber(ReadOnlySpan<char> text, ref int pos, int minDigits, int maxDigits, out int value)
    {
        value = 0;
        var start = pos;
        while (pos < text.Length && char.IsAsciiDigit(text[pos]) && pos - start < maxDigits)
            value = (value * 10) + (text[pos++] - '0');
        return pos - start >= minDigits;
    }

    private static bool Expect(ReadOnlySpan<char> text, ref int pos, char expected)
    {
        if (pos >= text.Length || text[pos] != expected)
            return false;
        pos++;
        return true;
    }
}
