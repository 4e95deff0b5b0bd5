using System.Globalization;
using Sluice.Server.Capture;

namespace Sluice.Server.Filters;

/// <summary>
/// Parses a value of a <see cref="ValueKind"/> into a <see cref="FilterValue"/>: row values as PostgreSQL
/// prints them, and filter values, which may also use ISO-8601 ('T', 'Z') and true/false.
/// </summary>
internal static class FilterValueParser
{
    private const NumberStyles IntegerStyle = NumberStyles.AllowLeadingSign;
    private const NumberStyles RealStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    public static bool TryParse(ValueKind kind, string text, out FilterValue value)
    {
        var span = text.AsSpan();
        long key;
        bool parsed;
        switch (kind)
        {
            case ValueKind.Integer:
                parsed = long.TryParse(span, IntegerStyle, CultureInfo.InvariantCulture, out key);
                break;
            case ValueKind.Boolean:
                parsed = TryParseBoolean(span, out key);
                break;
            case ValueKind.Timestamp:
                parsed = PgTemporalText.TryParseTimestamp(span, withOffset: false, out key);
                break;
            case ValueKind.TimestampTz:
                parsed = PgTemporalText.TryParseTimestamp(span, withOffset: true, out key);
                break;
            case ValueKind.Date:
                parsed = PgTemporalText.TryParseDate(span, out key);
                break;
            case ValueKind.Time:
                parsed = PgTemporalText.TryParseTime(span, out key);
                break;
            case ValueKind.TimeTz:
                parsed = PgTemporalText.TryParseTimeTz(span, out key);
                break;
            case ValueKind.Float:
                parsed = double.TryParse(span, RealStyle, CultureInfo.InvariantCulture, out var real);
                value = new FilterValue { Float = real };
                return parsed;
            case ValueKind.Numeric:
                return TryParseNumeric(text, out value);
            case ValueKind.Uuid:
                parsed = Guid.TryParse(span, out var uuid);
                value = new FilterValue { Uuid = uuid };
                return parsed;
            case ValueKind.Text:
                value = new FilterValue { Text = text };
                return true;
            default:
                value = default;
                return false;
        }

        value = new FilterValue { Key = key };
        return parsed;
    }

    /// <summary>A phrase for error messages: "… is not {phrase} for column …".</summary>
    public static string Describe(ValueKind kind) => kind switch
    {
        ValueKind.Integer => "a valid integer",
        ValueKind.Float => "a valid floating-point number",
        ValueKind.Numeric => "a valid numeric (exponent notation only within ±7.9e28)",
        ValueKind.Boolean => "a valid boolean (true, false, t or f)",
        ValueKind.Timestamp => "a valid timestamp without time zone (yyyy-MM-ddTHH:mm:ss[.ffffff])",
        ValueKind.TimestampTz => "a valid timestamp with time zone (yyyy-MM-ddTHH:mm:ss[.ffffff] and Z or ±HH:mm)",
        ValueKind.Date => "a valid date (yyyy-MM-dd)",
        ValueKind.Time => "a valid time (HH:mm[:ss[.ffffff]])",
        ValueKind.TimeTz => "a valid time with time zone (HH:mm[:ss[.ffffff]] and Z or ±HH:mm)",
        ValueKind.Uuid => "a valid uuid",
        _ => "a valid " + kind.ToString().ToLowerInvariant(),
    };

    private static bool TryParseBoolean(ReadOnlySpan<char> text, out long key)
    {
        key = 0;
        if (text.Equals("t", StringComparison.OrdinalIgnoreCase) || text.Equals("true", StringComparison.OrdinalIgnoreCase))
            key = 1;
        else if (!text.Equals("f", StringComparison.OrdinalIgnoreCase) && !text.Equals("false", StringComparison.OrdinalIgnoreCase))
            return false;
        return true;
    }

    /// <summary>
    /// numeric text: a plain numeral of any size is kept as text and compared exactly by
    /// <see cref="NumericText"/>; exponent notation (filter values only) is read through decimal, so it must
    /// fit decimal's range (about ±7.9e28); 'NaN' and '±Infinity' get their rank.
    /// </summary>
    private static bool TryParseNumeric(string text, out FilterValue value)
    {
        long rank;
        if (NumericText.IsPlainNumeral(text))
        {
            value = new FilterValue { Key = FilterValue.NumericFinite, Text = text };
            return true;
        }

        if (decimal.TryParse(text, RealStyle, CultureInfo.InvariantCulture, out var number))
        {
            value = new FilterValue { Key = FilterValue.NumericFinite, Text = number.ToString(CultureInfo.InvariantCulture) };
            return true;
        }

        if (text.Equals("NaN", StringComparison.OrdinalIgnoreCase))
            rank = FilterValue.NumericNaN;
        else if (text.Equals("Infinity", StringComparison.OrdinalIgnoreCase) || text.Equals("+Infinity", StringComparison.OrdinalIgnoreCase))
            rank = FilterValue.NumericPositiveInfinity;
        else if (text.Equals("-Infinity", StringComparison.OrdinalIgnoreCase))
            rank = FilterValue.NumericNegativeInfinity;
        else
        {
            value = default;
            return false;
        }

        value = new FilterValue { Key = rank };
        return true;
    }
}
