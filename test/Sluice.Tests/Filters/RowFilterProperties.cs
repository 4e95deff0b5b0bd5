using System.Globalization;
using CsCheck;

namespace Sluice.Tests.Filters;

public class RowFilterProperties
{
    private static readonly Gen<long> Interesting = Gen.OneOf(Gen.Long, Gen.Long[-20, 20], Gen.OneOf(long.MinValue, long.MaxValue, 0L, -1L));

    [Theory]
    [InlineData("eq")]
    [InlineData("neq")]
    [InlineData("lt")]
    [InlineData("lte")]
    [InlineData("gt")]
    [InlineData("gte")]
    public void Integer_comparisons_agree_with_long_comparison(string op)
    {
        Gen.Select(Interesting, Interesting).Sample((x, n) =>
        {
            var filter = Products.Filter($"id={op}.{n.ToString(CultureInfo.InvariantCulture)}");
            var actual = filter.Matches(Products.RowWith("id", x.ToString(CultureInfo.InvariantCulture)));
            var expected = op switch
            {
                "eq" => x == n,
                "neq" => x != n,
                "lt" => x < n,
                "lte" => x <= n,
                "gt" => x > n,
                _ => x >= n,
            };
            return actual == expected;
        }, iter: 2_000);
    }

    [Fact]
    public void Timestamptz_comparisons_agree_with_instant_comparison_across_offsets()
    {
        var instant = Gen.Long[DateTimeOffset.MinValue.UtcTicks + TimeSpan.TicksPerDay, DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerDay]
            .Select(ticks => ticks / 10 * 10); // PostgreSQL keeps microseconds
        var offsetMinutes = Gen.Int[-14 * 60, 14 * 60];
        Gen.Select(instant, offsetMinutes, instant, offsetMinutes).Sample((rowTicks, rowOffset, filterTicks, filterOffset) =>
        {
            var row = new DateTimeOffset(rowTicks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(rowOffset));
            var bound = new DateTimeOffset(filterTicks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(filterOffset));
            var rowText = row.ToString("yyyy-MM-dd HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
            var filterText = bound.ToString("yyyy-MM-ddTHH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
            var lt = Products.Filter("created_at=lt." + filterText).Matches(Products.RowWith("created_at", rowText));
            var eq = Products.Filter("created_at=eq." + filterText).Matches(Products.RowWith("created_at", rowText));
            return lt == (row < bound) && eq == (row == bound);
        }, iter: 2_000);
    }

    [Fact]
    public void Quoted_in_list_values_match_exactly_themselves()
    {
        var value = Gen.String[0, 12];
        Gen.Select(value, value).Sample((a, b) =>
        {
            var filter = Products.Filter($"name=in.({Quote(a)},{Quote(b)})");
            return filter.Matches(Products.RowWith("name", a))
                && filter.Matches(Products.RowWith("name", b))
                && filter.Matches(Products.RowWith("name", a + "x")) == (a + "x" == b);
        }, iter: 2_000);
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    [Fact]
    public void Numeric_comparisons_agree_with_decimal_comparison_whatever_the_scale()
    {
        var number = Gen.OneOf(Gen.Decimal, Gen.Long[-1000, 1000].Select(n => n / 100m), Gen.Long[-5, 5].Select(n => (decimal)n));
        Gen.Select(number, number, Gen.Int[0, 3]).Sample((x, n, extraZeros) =>
        {
            var rowText = x.ToString(CultureInfo.InvariantCulture);
            if (extraZeros > 0)
                rowText += (rowText.Contains('.', StringComparison.Ordinal) ? "" : ".") + new string('0', extraZeros);
            var bound = n.ToString(CultureInfo.InvariantCulture);
            var row = Products.RowWith("price", rowText);
            return Products.Filter("price=lt." + bound).Matches(row) == (x < n)
                && Products.Filter("price=eq." + bound).Matches(row) == (x == n)
                && Products.Filter("price=gte." + bound).Matches(row) == (x >= n);
        }, iter: 2_000);
    }
}
