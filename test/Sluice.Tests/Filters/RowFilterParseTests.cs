using Sluice.Server.Filters;

namespace Sluice.Tests.Filters;

public class RowFilterParseTests
{
    [Theory]
    [InlineData("id=eq.5", "id", 0, nameof(FilterOperator.Eq))]
    [InlineData("id=neq.5", "id", 0, nameof(FilterOperator.Neq))]
    [InlineData("price=lt.5", "price", 2, nameof(FilterOperator.Lt))]
    [InlineData("price=lte.5", "price", 2, nameof(FilterOperator.Lte))]
    [InlineData("ratio=gt.5", "ratio", 3, nameof(FilterOperator.Gt))]
    [InlineData("ratio=gte.5", "ratio", 3, nameof(FilterOperator.Gte))]
    [InlineData("name=in.(a,b)", "name", 1, nameof(FilterOperator.In))]
    [InlineData("tags=is.null", "tags", 11, nameof(FilterOperator.IsNull))]
    [InlineData("meta=is.not_null", "meta", 12, nameof(FilterOperator.IsNotNull))]
    [InlineData("Name=eq.x", "Name", 13, nameof(FilterOperator.Eq))]
    [InlineData("name=eq.a=b.c", "name", 1, nameof(FilterOperator.Eq))]
    public void Parses_column_and_operator(string text, string column, int ordinal, string operatorName)
    {
        // By name: FilterOperator is internal, so it cannot appear in a public test method's signature.
        var op = Enum.Parse<FilterOperator>(operatorName);
        var filter = Products.Filter(text).Conditions.Single();
        Assert.False(filter.Negated);
        Assert.Equal(column, filter.Column);
        Assert.Equal(ordinal, filter.Ordinal);
        Assert.Equal(op, filter.Operator);
        Assert.Equal(op == FilterOperator.Eq, filter.IsEquality);
        Assert.Equal(text, filter.ToString());
    }

    [Theory]
    [InlineData("id=eq.007", "7")]
    [InlineData("id=eq.-0", "0")]
    [InlineData("active=eq.true", "t")]
    [InlineData("active=eq.F", "f")]
    [InlineData("uid=eq.A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")]
    [InlineData("name=eq. spaced ", " spaced ")]
    [InlineData("name=eq.", "")]
    [InlineData("day=eq.2024-01-02", "2024-01-02")]
    [InlineData("day=eq.infinity", "infinity")]
    [InlineData("price=eq.12.50", null)]
    [InlineData("created_at=eq.2024-01-02T03:04:05Z", null)]
    [InlineData("id=lt.5", null)]
    [InlineData("id=in.(5)", null)]
    public void Equality_text_is_the_postgresql_output_when_that_is_canonical(string text, string? expected)
    {
        Assert.Equal(expected, Products.Filter(text).Conditions.Single().EqualityText);
        Assert.Equal(expected, Products.Filter(text).IndexCondition?.EqualityText);
    }

    [Theory]
    [InlineData("id", "not of the form")]
    [InlineData("id=eq", "not of the form")]
    [InlineData("=eq.5", "not of the form")]
    [InlineData("x=eq.5", "unknown column \"x\" in public.products")]
    [InlineData("ID=eq.5", "unknown column \"ID\" in public.products")]
    [InlineData(" id=eq.5", "unknown column \" id\"")]
    [InlineData("id=like.5", "like needs a text column (text, varchar, char or name); column id is not one")]
    [InlineData("id=foo.5", "unknown operator \"foo\"")]
    [InlineData("id=EQ.5", "unknown operator \"EQ\"")]
    [InlineData("id=not.foo.5", "unknown operator \"foo\"")]
    [InlineData("id=not.eq", "not of the form column=operator.value")]
    [InlineData("id=is.true", "is.true needs a boolean column; column id is not boolean")]
    [InlineData("name=not.is.unknown", "is.unknown needs a boolean column")]
    [InlineData("id=is.NULL", "only is.null, is.not_null, is.true, is.false and is.unknown, not is.NULL")]
    [InlineData("id=eq.abc", "filter value \"abc\" is not a valid integer for column id")]
    [InlineData("id=eq.9223372036854775808", "is not a valid integer for column id")]
    [InlineData("id=eq. 5", "filter value \" 5\" is not a valid integer")]
    [InlineData("id=eq.1.5", "is not a valid integer")]
    [InlineData("ratio=eq.one", "is not a valid floating-point number for column ratio")]
    [InlineData("price=eq.1e40", "is not a valid numeric (exponent notation only within ±7.9e28) for column price")]
    [InlineData("price=eq..", "is not a valid numeric")]
    [InlineData("price=eq.1.2.3", "is not a valid numeric")]
    [InlineData("price=eq.12,5", "condition \"5\" is not of the form")]
    [InlineData("active=eq.yes", "is not a valid boolean")]
    [InlineData("created_at=eq.2024-01-02T03:04:05", "is not a valid timestamp with time zone")]
    [InlineData("created_at=eq.2024-01-02", "is not a valid timestamp with time zone")]
    [InlineData("local_at=eq.2024-01-02T03:04:05Z", "is not a valid timestamp without time zone")]
    [InlineData("local_at=eq.2024-02-30T00:00:00", "is not a valid timestamp without time zone")]
    [InlineData("local_at=eq.0044-03-15 12:00:00 BC", "outside the supported range")]
    [InlineData("day=eq.10000-01-01", "outside the supported range")]
    [InlineData("day=eq.2024-1-2", "is not a valid date")]
    [InlineData("at_time=eq.25:00", "is not a valid time")]
    [InlineData("at_timetz=eq.03:00", "is not a valid time with time zone")]
    [InlineData("uid=eq.nope", "is not a valid uuid for column uid")]
    [InlineData("tags=eq.{a}", "column tags is an array; only is.null and is.not_null")]
    [InlineData("meta=eq.{}", "column meta is json; only is.null and is.not_null")]
    [InlineData("tags=in.(a)", "column tags is an array")]
    public void Rejects_with_a_message_naming_the_problem(string text, string expectedPart)
    {
        Assert.Contains(expectedPart, Products.Error(text), StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_text_longer_than_the_limit()
    {
        var text = "name=eq." + new string('x', RowFilter.MaxTextLength - 8);
        Assert.NotNull(Products.Filter(text));
        Assert.Contains("longer than 1000 characters", Products.Error(text + "x"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id=in.()", "in-list is empty")]
    [InlineData("id=in.( )", "in-list is empty")]
    [InlineData("id=in.1,2", "must be enclosed in parentheses")]
    [InlineData("id=in.(1,2", "unbalanced '('")]
    [InlineData("id=in.1)", "must be enclosed in parentheses")]
    [InlineData("id=in.(1,,2)", "empty value in in-list")]
    [InlineData("id=in.(1,2,)", "empty value in in-list")]
    [InlineData("name=in.(\"a,b)", "unterminated quoted value")]
    [InlineData("name=in.(\"a\"b)", "expected ',' after a quoted value")]
    [InlineData("name=in.(a(b)", "unbalanced '('")]
    [InlineData("name=in.(a)b)", "unexpected ')'")]
    [InlineData("id=in.(1,x)", "filter value \"x\" is not a valid integer for column id")]
    public void Rejects_malformed_in_lists(string text, string expectedPart)
    {
        var error = Products.Error(text);
        Assert.Contains(expectedPart, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_at_most_100_in_values()
    {
        var hundred = string.Join(',', Enumerable.Range(0, 100));
        Assert.NotNull(Products.Filter($"id=in.({hundred})"));
        Assert.Contains("more than 100 values", Products.Error($"id=in.({hundred},100)"), StringComparison.Ordinal);
    }
}
