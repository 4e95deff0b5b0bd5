namespace Sluice.Server.Filters;

/// <summary>
/// Exact comparison of plain decimal numerals as PostgreSQL prints numeric ("-12.50"): any number of
/// digits, no exponent, compared digit by digit without allocating.
/// </summary>
internal static class NumericText
{
    /// <summary>Whether <paramref name="text"/> is [+-]digits[.digits] (digits on at least one side of the point).</summary>
    public static bool IsPlainNumeral(ReadOnlySpan<char> text)
    {
        var pos = text.Length > 0 && text[0] is '+' or '-' ? 1 : 0;
        var digits = 0;
        var point = false;
        for (; pos < text.Length; pos++)
        {
            if (char.IsAsciiDigit(text[pos]))
                digits++;
            else if (text[pos] == '.' && !point)
                point = true;
            else
                return false;
        }

        return digits > 0;
    }

    /// <summary>Compares two numerals accepted by <see cref="IsPlainNumeral"/>.</summary>
    public static int Compare(ReadOnlySpan<char> left, ReadOnlySpan<char> right)
    {
        Split(left, out var leftNegative, out var leftInteger, out var leftFraction);
        Split(right, out var rightNegative, out var rightInteger, out var rightFraction);
        if (leftNegative != rightNegative)
            return leftNegative ? -1 : 1;
        var magnitude = leftInteger.Length != rightInteger.Length
            ? leftInteger.Length.CompareTo(rightInteger.Length)
            : leftInteger.SequenceCompareTo(rightInteger);
        if (magnitude == 0)
            magnitude = leftFraction.SequenceCompareTo(rightFraction);
        return leftNegative ? -Math.Sign(magnitude) : Math.Sign(magnitude);
    }

    /// <summary>Sign, integer digits without leading zeros, fraction digits without trailing zeros; zero is never negative.</summary>
    private static void Split(ReadOnlySpan<char> text, out bool negative, out ReadOnlySpan<char> integer, out ReadOnlySpan<char> fraction)
    {
        negative = text[0] == '-';
        if (text[0] is '+' or '-')
            text = text[1..];
        var point = text.IndexOf('.');
        integer = (point < 0 ? text : text[..point]).TrimStart('0');
        fraction = point < 0 ? [] : text[(point + 1)..].TrimEnd('0');
        if (integer.IsEmpty && fraction.IsEmpty)
            negative = false;
    }
}
