using Sluice.Server.Capture;

namespace Sluice.Tests.Filters;

public class RowFilterMatchTests
{
    [Theory]
    // integer: by value, not by text
    [InlineData("id=eq.10", "10", true)]
    [InlineData("id=eq.10", "9", false)]
    [InlineData("id=gt.9", "10", true)]
    [InlineData("id=lt.10", "9", true)]
    [InlineData("id=lt.-1", "-2", true)]
    [InlineData("id=neq.10", "11", true)]
    [InlineData("id=neq.10", "10", false)]
    [InlineData("id=lte.10", "10", true)]
    [InlineData("id=gte.11", "10", false)]
    [InlineData("id=eq.007", "7", true)]
    // numeric: 12.5 equals 12.50; NaN above everything; huge values beyond decimal still order
    [InlineData("price=eq.12.5", "12.50", true)]
    [InlineData("price=gt.12.49", "12.50", true)]
    [InlineData("price=lt.-0.0001", "-0.001", true)]
    [InlineData("price=eq.1e2", "100", true)]
    [InlineData("price=gt.1000", "NaN", true)]
    [InlineData("price=eq.NaN", "NaN", true)]
    [InlineData("price=lt.NaN", "Infinity", true)]
    [InlineData("price=gt.1000", "Infinity", true)]
    [InlineData("price=lt.-1000", "-Infinity", true)]
    [InlineData("price=gt.1000", "123456789012345678901234567890123.5", true)]
    [InlineData("price=lt.-1000", "-123456789012345678901234567890123.5", true)]
    [InlineData("price=lt.Infinity", "123456789012345678901234567890123.5", true)]
    [InlineData("price=gt.0", "0.00000000000000000000000000000000000000000001", true)]
    [InlineData("price=eq.123456789012345678901234567890123.5", "123456789012345678901234567890123.50", true)]
    [InlineData("price=lt.123456789012345678901234567890123.51", "123456789012345678901234567890123.5", true)]
    [InlineData("price=eq.-0", "0.00", true)]
    [InlineData("price=eq.+.5", "0.5", true)]
    [InlineData("price=gt.-10", "-9.99", true)]
    [InlineData("price=lt.-9.99", "-10", true)]
    [InlineData("price=lt.100", "99.999", true)]
    [InlineData("price=eq.1.5e1", "15", true)]
    [InlineData("price=lt.0.0001", "0.00000000000000000000000000000000000000000001", true)]
    [InlineData("price=gt.-0.0001", "-0.00000000000000000000000000000000000000000001", true)]
    [InlineData("price=eq.1e-400", "0", true)]
    // float: PostgreSQL order puts NaN above everything; -0 equals 0
    [InlineData("ratio=eq.0.5", "0.5", true)]
    [InlineData("ratio=eq.0", "-0", true)]
    [InlineData("ratio=gt.1e300", "Infinity", true)]
    [InlineData("ratio=gt.Infinity", "NaN", true)]
    [InlineData("ratio=eq.NaN", "NaN", true)]
    [InlineData("ratio=lt.-1e300", "-Infinity", true)]
    [InlineData("ratio=gt.1e-5", "1.2345e-05", true)]
    // boolean
    [InlineData("active=eq.true", "t", true)]
    [InlineData("active=eq.t", "f", false)]
    [InlineData("active=neq.false", "t", true)]
    [InlineData("active=gt.false", "t", true)]
    // timestamptz: by instant, whatever the offsets
    [InlineData("created_at=eq.2024-01-02T03:04:05Z", "2024-01-02 03:04:05+00", true)]
    [InlineData("created_at=eq.2024-01-02T03:04:05Z", "2024-01-02 08:34:05+05:30", true)]
    [InlineData("created_at=eq.2024-01-02T03:04:05+00:00", "2024-01-02 00:04:05-03", true)]
    [InlineData("created_at=eq.2024-01-02T03:04:05.123Z", "2024-01-02 03:04:05.123+00", true)]
    [InlineData("created_at=eq.2024-01-02T03:04:05.123Z", "2024-01-02 03:04:05.1234+00", false)]
    [InlineData("created_at=gt.2024-01-02T03:04:05Z", "2024-01-02 03:04:06+00", true)]
    [InlineData("created_at=gt.2024-01-02T03:04:05Z", "2024-01-02 04:04:06+02", false)]
    [InlineData("created_at=gt.2024-01-02T03:04:05Z", "infinity", true)]
    [InlineData("created_at=lt.0001-01-01T00:00:00Z", "-infinity", true)]
    [InlineData("created_at=lt.0001-01-02T00:00:00Z", "0044-03-15 12:00:00+00 BC", true)]
    [InlineData("created_at=gt.9999-12-31T00:00:00Z", "12000-01-01 00:00:00+00", true)]
    [InlineData("created_at=eq.2024-01-02 03:04:05+0530", "2024-01-02 03:04:05+05:30", true)]
    [InlineData("created_at=eq.1890-01-01T00:00:00-03:06:28", "1890-01-01 03:06:28+00", true)]
    // timestamp without time zone
    [InlineData("local_at=eq.2024-01-02T03:04:05", "2024-01-02 03:04:05", true)]
    [InlineData("local_at=eq.2024-01-02", "2024-01-02 00:00:00", true)]
    [InlineData("local_at=lt.2024-01-02T03:04", "2024-01-02 03:03:59.999999", true)]
    [InlineData("local_at=gt.2024-01-02T03:04:05.5", "2024-01-02 03:04:05.500001", true)]
    // date
    [InlineData("day=eq.2024-01-02", "2024-01-02", true)]
    [InlineData("day=gt.2023-12-31", "2024-01-01", true)]
    [InlineData("day=lt.0001-01-01", "0044-03-15 BC", true)]
    [InlineData("day=lt.infinity", "9999-12-31", true)]
    // time and time with time zone
    [InlineData("at_time=eq.03:04:05", "03:04:05", true)]
    [InlineData("at_time=eq.03:04", "03:04:00", true)]
    [InlineData("at_time=gt.23:59:59", "24:00:00", true)]
    [InlineData("at_time=lt.10:00", "09:59:59.999999", true)]
    [InlineData("at_timetz=eq.03:04:05+02:00", "03:04:05+02", true)]
    [InlineData("at_timetz=eq.01:04:05Z", "03:04:05+02", false)]
    [InlineData("at_timetz=lt.02:00Z", "03:04:05+02", true)]
    // uuid: by value (case-insensitive text), ordered as PostgreSQL orders bytes
    [InlineData("uid=eq.A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", true)]
    [InlineData("uid=lt.ffffffff-0000-0000-0000-000000000000", "80000000-0000-0000-0000-000000000000", true)]
    [InlineData("uid=lt.00000000-0000-0000-8000-000000000000", "00000000-0000-0000-7fff-ffffffffffff", true)]
    // text: exact and ordinal
    [InlineData("name=eq.Apple", "Apple", true)]
    [InlineData("name=eq.Apple", "apple", false)]
    [InlineData("name=eq. Apple", "Apple", false)]
    [InlineData("name=lt.b", "a", true)]
    [InlineData("name=lt.a", "B", true)]
    [InlineData("name=eq.", "", true)]
    [InlineData("Name=eq.x", "x", true)]
    public void Compares_by_value(string filter, string rowValue, bool expected)
    {
        var parsed = Products.Filter(filter);
        Assert.Equal(expected, parsed.Matches(Products.RowWith(parsed.Conditions[0].Column, rowValue)));
    }

    [Theory]
    [InlineData("name=in.(a,b,c)", "b", true)]
    [InlineData("name=in.(a,b,c)", "d", false)]
    [InlineData("name=in.( a , b )", "a", true)]
    [InlineData("name=in.(\" a \",b)", " a ", true)]
    [InlineData("name=in.(\" a \",b)", "a", false)]
    [InlineData("name=in.(\"a,b\",c)", "a,b", true)]
    [InlineData("name=in.(\"a,b\",c)", "a", false)]
    [InlineData("name=in.(\"(x)\")", "(x)", true)]
    [InlineData("name=in.(\"say \\\"hi\\\"\")", "say \"hi\"", true)]
    [InlineData("name=in.(\"back\\\\slash\")", "back\\slash", true)]
    [InlineData("name=in.(\"\")", "", true)]
    [InlineData("name=in.(NULL)", "NULL", true)]
    [InlineData("id=in.(1, 2, 3)", "2", true)]
    [InlineData("id=in.(1,2,3)", "4", false)]
    [InlineData("price=in.(1.5,2)", "2.00", true)]
    [InlineData("created_at=in.(2024-01-02T00:00:00Z)", "2024-01-02 01:00:00+01", true)]
    public void Matches_in_lists(string filter, string rowValue, bool expected)
    {
        var parsed = Products.Filter(filter);
        Assert.Equal(expected, parsed.Matches(Products.RowWith(parsed.Conditions[0].Column, rowValue)));
    }

    [Theory]
    [InlineData("id=eq.1")]
    [InlineData("id=neq.1")]
    [InlineData("id=lt.1")]
    [InlineData("id=gte.1")]
    [InlineData("id=in.(1,2)")]
    [InlineData("name=eq.")]
    [InlineData("name=neq.x")]
    [InlineData("tags=is.not_null")]
    public void A_null_column_matches_only_is_null(string filter)
    {
        var parsed = Products.Filter(filter);
        Assert.False(parsed.Matches(Products.RowWith(parsed.Conditions[0].Column, null)));
        var isNull = Products.Filter(parsed.Conditions[0].Column + "=is.null");
        Assert.True(isNull.Matches(Products.RowWith(parsed.Conditions[0].Column, null)));
        Assert.False(isNull.Matches(Products.RowWith(parsed.Conditions[0].Column, "1")));
    }

    [Theory]
    [InlineData("id=eq.1")]
    [InlineData("id=neq.1")]
    [InlineData("id=in.(1)")]
    [InlineData("meta=is.null")]
    [InlineData("meta=is.not_null")]
    [InlineData("name=neq.x")]
    public void An_unavailable_value_matches_nothing(string filter)
    {
        var parsed = Products.Filter(filter);
        Assert.False(parsed.Matches(Products.RowWith(parsed.Conditions[0].Column, RowValues.Unavailable)));
    }

    [Fact]
    public void Array_and_json_columns_support_null_tests()
    {
        Assert.True(Products.Filter("tags=is.not_null").Matches(Products.RowWith("tags", "{a,b}")));
        Assert.True(Products.Filter("meta=is.null").Matches(Products.RowWith("meta", null)));
    }

    [Theory]
    [InlineData("id=eq.1", "x")]
    [InlineData("id=neq.1", "x")]
    [InlineData("created_at=gt.2024-01-01T00:00:00Z", "garbage")]
    public void A_row_value_that_does_not_parse_matches_nothing(string filter, string rowValue)
    {
        var parsed = Products.Filter(filter);
        Assert.False(parsed.Matches(Products.RowWith(parsed.Conditions[0].Column, rowValue)));
    }

    [Fact]
    public void A_row_shorter_than_the_ordinal_matches_nothing()
    {
        Assert.False(Products.Filter("Name=is.null").Matches(["1"]));
    }

    [Theory]
    [InlineData("id=gt.5", "10")]
    [InlineData("price=eq.12.5", "12.50")]
    [InlineData("ratio=lt.1", "0.5")]
    [InlineData("created_at=gte.2024-01-02T03:04:05Z", "2024-01-02 08:34:05.123456+05:30")]
    [InlineData("uid=eq.a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")]
    [InlineData("name=in.(a,b,c)", "c")]
    public void Matching_does_not_allocate(string filter, string rowValue)
    {
        var parsed = Products.Filter(filter);
        var row = Products.RowWith(parsed.Conditions[0].Column, rowValue);
        Assert.True(parsed.Matches(row));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
            parsed.Matches(row);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
