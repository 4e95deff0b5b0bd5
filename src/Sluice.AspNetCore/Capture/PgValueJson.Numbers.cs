namespace Sluice.Server.Capture;

internal static partial class PgValueJson
{
    /// <summary>The JSON grammar for an integer: <c>-?(0|[1-9][0-9]*)</c>.</summary>
    private static bool IsJsonInteger(ReadOnlySpan<char> text)
    {
        var pos = 0;
        return ReadJsonIntegerPart(text, ref pos) && pos == text.Length;
    }

    /// <summary>The JSON grammar for a number: integer part, optional fraction, optional exponent.</summary>
    private static bool IsJsonNumber(ReadOnlySpan<char> text)
    {
        var pos = 0;
        if (!ReadJsonIntegerPart(text, ref pos))
            return false;
        if (pos < text.Length && text[pos] == '.')
        {
            pos++;
            if (ReadDigits(text, ref pos) == 0)
                return false;
        }

        if (pos < text.Length && (text[pos] == 'e' || text[pos] == 'E'))
        {
            pos++;
            if (pos < text.Length && (text[pos] == '+' || text[pos] == '-'))
                pos++;
            if (ReadDigits(text, ref pos) == 0)
                return false;
        }

        return pos == text.Length;
    }

    private static bool ReadJsonIntegerPart(ReadOnlySpan<char> text, ref int pos)
    {
        if (pos < text.Length && text[pos] == '-')
            pos++;
        if (pos >= text.Length || !char.IsAsciiDigit(text[pos]))
            return false;
        if (text[pos] == '0')
        {
            pos++;
            return true;
        }

        ReadDigits(text, ref pos);
        return true;
    }

    private static int ReadDigits(ReadOnlySpan<char> text, ref int pos)
    {
        var start = pos;
        while (pos < text.Length && char.IsAsciiDigit(text[pos]))
            pos++;
        return pos - start;
    }
}
