using System.Buffers.Text;

namespace Sluice.Bench.Clients;

/// <summary>Cheap byte-level reads of the few fields the harness needs, without parsing whole frames.</summary>
public static class FrameScan
{
    public static bool IsType(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> typeProperty) =>
        frame.IndexOf(typeProperty) is >= 0 and < 16;

    /// <summary>The integer after <c>"name":</c> (e.g. <c>"sent_ticks":</c>), or null.</summary>
    public static long? Long(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> propertyWithColon)
    {
        var at = frame.IndexOf(propertyWithColon);
        if (at < 0)
            return null;
        var rest = frame[(at + propertyWithColon.Length)..].TrimStart(" "u8);
        return Utf8Parser.TryParse(rest, out long value, out _) ? value : null;
    }

    /// <summary>How many times <paramref name="value"/> occurs in <paramref name="frame"/>.</summary>
    public static int Count(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> value)
    {
        var count = 0;
        for (var at = frame.IndexOf(value); at >= 0; at = frame.IndexOf(value))
        {
            count++;
            frame = frame[(at + value.Length)..];
        }
        return count;
    }

    /// <summary>The bytes after the last <c>"name":"</c> up to the next quote (no escapes expected); empty when absent.</summary>
    public static ReadOnlySpan<byte> LastQuoted(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> propertyWithQuote)
    {
        var at = frame.LastIndexOf(propertyWithQuote);
        return at < 0 ? [] : Quoted(frame[at..], propertyWithQuote);
    }

    /// <summary>The bytes after <c>"name":"</c> up to the next quote (no escapes expected); empty when absent.</summary>
    public static ReadOnlySpan<byte> Quoted(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> propertyWithQuote)
    {
        var at = frame.IndexOf(propertyWithQuote);
        if (at < 0)
            return [];
        var rest = frame[(at + propertyWithQuote.Length)..];
        var end = rest.IndexOf((byte)'"');
        return end < 0 ? [] : rest[..end];
    }
}
