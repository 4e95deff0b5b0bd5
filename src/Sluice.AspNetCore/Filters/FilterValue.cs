using Sluice.Server.Capture;

namespace Sluice.Server.Filters;

/// <summary>
/// A value parsed once for comparison. Which field holds it depends on the column's <see cref="ValueKind"/>:
/// <see cref="Key"/> for integers, booleans and temporal kinds (an order-preserving number);
/// <see cref="Float"/>; <see cref="Uuid"/>; <see cref="Text"/> for text, and for numeric a plain numeral
/// with <see cref="Key"/> as its rank (finite, NaN, ±Infinity).
/// </summary>
internal readonly struct FilterValue
{
    /// <summary>Temporal '-infinity'.</summary>
    public const long NegativeInfinityKey = long.MinValue;
    /// <summary>A temporal value before what .NET represents (BC): after -infinity, before any filter value.</summary>
    public const long BeforeRangeKey = long.MinValue + 1;
    /// <summary>A temporal value after what .NET represents (year 10000 and later).</summary>
    public const long AfterRangeKey = long.MaxValue - 1;
    /// <summary>Temporal 'infinity'.</summary>
    public const long PositiveInfinityKey = long.MaxValue;

    /// <summary>Numeric ranks, ordered as PostgreSQL orders numeric: NaN above everything.</summary>
    public const long NumericNegativeInfinity = -1, NumericFinite = 0, NumericPositiveInfinity = 1, NumericNaN = 2;

    public long Key { get; init; }
    public double Float { get; init; }
    public Guid Uuid { get; init; }
    public string? Text { get; init; }

    /// <summary>Compares two values of the same kind the way PostgreSQL orders them (text: ordinal).</summary>
    public static int Compare(ValueKind kind, in FilterValue left, in FilterValue right)
    {
        switch (kind)
        {
            case ValueKind.Float:
                return CompareFloat(left.Float, right.Float);
            case ValueKind.Numeric:
                if (left.Key != right.Key)
                    return left.Key.CompareTo(right.Key);
                return left.Key == NumericFinite ? NumericText.Compare(left.Text, right.Text) : 0;
            case ValueKind.Uuid:
                return left.Uuid.CompareTo(right.Uuid);
            case ValueKind.Text:
                return string.CompareOrdinal(left.Text, right.Text);
            default:
                return left.Key.CompareTo(right.Key);
        }
    }

    /// <summary>PostgreSQL float order: NaN equals NaN and is above every other value; -0 equals 0.</summary>
    private static int CompareFloat(double left, double right)
    {
        if (double.IsNaN(left))
            return double.IsNaN(right) ? 0 : 1;
        if (double.IsNaN(right))
            return -1;
        return left.CompareTo(right);
    }
}
