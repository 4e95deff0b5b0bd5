using System.Text.Json;

namespace Sluice.Server.Capture;

internal static partial class PgValueJson
{
    // "-yyyyyy-MM-ddTHH:mm:ss.ffffff+HH:mm:ss" and then some: longer text is not a PostgreSQL timestamp.
    private const int MaxTemporalLength = 48;

    /// <summary>
    /// "2024-01-02 03:04:05.5" becomes "2024-01-02T03:04:05.5"; with <paramref name="withOffset"/> the
    /// offset is required and normalised to ±HH:MM (an offset with seconds, which PostgreSQL prints for
    /// historical local mean times, keeps them: ±HH:MM:SS). Anything else (infinity, BC dates) stays as printed.
    /// </summary>
    private static void WriteTimestamp(Utf8JsonWriter writer, ReadOnlySpan<char> text, bool withOffset)
    {
        Span<char> iso = stackalloc char[MaxTemporalLength + 3];
        var dateLength = DateLength(text);
        if (dateLength < 0 || text.Length > MaxTemporalLength || dateLength >= text.Length || text[dateLength] != ' ')
        {
            writer.WriteStringValue(text);
            return;
        }

        text[..dateLength].CopyTo(iso);
        iso[dateLength] = 'T';
        var timeLength = FormatTime(text[(dateLength + 1)..], withOffset, iso[(dateLength + 1)..]);
        if (timeLength < 0)
            writer.WriteStringValue(text);
        else
            writer.WriteStringValue(iso[..(dateLength + 1 + timeLength)]);
    }

    /// <summary>"03:04:05+02" becomes "03:04:05+02:00"; see <see cref="WriteTimestamp"/> for offsets.</summary>
    private static void WriteTimeTz(Utf8JsonWriter writer, ReadOnlySpan<char> text)
    {
        Span<char> iso = stackalloc char[MaxTemporalLength + 3];
        var length = text.Length > MaxTemporalLength ? -1 : FormatTime(text, withOffset: true, iso);
        if (length < 0)
            writer.WriteStringValue(text);
        else
            writer.WriteStringValue(iso[..length]);
    }

    /// <summary>The length of a leading "yyyy-MM-dd" (four or more year digits), or -1.</summary>
    private static int DateLength(ReadOnlySpan<char> text)
    {
        var pos = 0;
        if (ReadDigits(text, ref pos) < 4 || !Expect(text, ref pos, '-'))
            return -1;
        if (ReadDigits(text, ref pos) != 2 || !Expect(text, ref pos, '-'))
            return -1;
        return ReadDigits(text, ref pos) == 2 ? pos : -1;
    }

    /// <summary>
    /// Copies "HH:mm:ss[.f…]" and, when <paramref name="withOffset"/>, a normalised offset; returns the
    /// length written, or -1 when <paramref name="text"/> has another shape.
    /// </summary>
    private static int FormatTime(ReadOnlySpan<char> text, bool withOffset, Span<char> destination)
    {
        var pos = 0;
        if (!ReadTwoDigitGroups(text, ref pos, 3, ':'))
            return -1;
        if (pos < text.Length && text[pos] == '.')
        {
            pos++;
            if (ReadDigits(text, ref pos) == 0)
                return -1;
        }

        text[..pos].CopyTo(destination);
        if (!withOffset)
            return pos == text.Length ? pos : -1;

        var offsetLength = FormatOffset(text[pos..], destination[pos..]);
        return offsetLength < 0 ? -1 : pos + offsetLength;
    }

    /// <summary>"+05", "+05:30", "-03:06:28" become "+05:00", "+05:30", "-03:06:28"; returns -1 for another shape.</summary>
    private static int FormatOffset(ReadOnlySpan<char> text, Span<char> destination)
    {
        if (text.Length == 0 || (text[0] != '+' && text[0] != '-'))
            return -1;
        var pos = 1;
        var groups = 0;
        while (groups < 3 && (groups == 0 || Expect(text, ref pos, ':')))
        {
            if (ReadDigits(text, ref pos) != 2)
                return -1;
            groups++;
        }

        if (pos != text.Length)
            return -1;
        text.CopyTo(destination);
        if (groups == 1)
        {
            ":00".CopyTo(destination[pos..]);
            return pos + 3;
        }

        return groups == 3 && text.EndsWith(":00") ? pos - 3 : pos;
    }

    private static bool ReadTwoDigitGroups(ReadOnlySpan<char> text, ref int pos, int count, char separator)
    {
        for (var i = 0; i < count; i++)
        {
            if ((i > 0 && !Expect(text, ref pos, separator)) || ReadDigits(text, ref pos) != 2)
                return false;
        }

        return true;
    }

    private static bool Expect(ReadOnlySpan<char> text, ref int pos, char expected)
    {
        if (pos >= text.Length || text[pos] != expected)
            return false;
        pos++;
        return true;
    }
}
