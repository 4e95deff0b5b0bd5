using Sluice.Server.Filters;

namespace Sluice.Tests.Filters;

/// <summary>Comma-separated conditions (AND), PostgREST-style quoting, and the limits.</summary>
public class RowFilterCompositionTests
{
    private static string?[] Row(string? id = null, string? name = null, string? active = null)
    {
        var row = Products.RowWith("id", id);
        row[Products.Table.IndexOf("name")] = name;
        row[Products.Table.IndexOf("active")] = active;
        return row;
    }

    [Fact]
    public void Splits_conditions_on_commas_and_requires_all()
    {
        var filter = Products.Filter("id=gt.0,id=lt.100");
        Assert.Equal(["id=gt.0", "id=lt.100"], filter.Conditions.Select(c => c.Text));
        Assert.True(filter.Matches(Row("50")));
        Assert.False(filter.Matches(Row("0")));
        Assert.False(filter.Matches(Row("100")));
        Assert.Equal("id=gt.0,id=lt.100", filter.ToString());
    }

    [Fact]
    public void Conditions_may_span_columns_and_whitespace_after_a_comma_is_skipped()
    {
        var filter = Products.Filter("id=gt.0, name=not.in.(draft,archived),  active=is.true");
        Assert.Equal(["id", "name", "active"], filter.Conditions.Select(c => c.Column));
        Assert.True(filter.Matches(Row("1", "live", "t")));
        Assert.False(filter.Matches(Row("1", "draft", "t")));
        Assert.False(filter.Matches(Row("1", null, "t")));
        Assert.False(filter.Matches(Row("1", "live", "f")));
    }

    [Theory]
    [InlineData("name=eq.\"a,b\",id=eq.1", "a,b")]
    [InlineData("name=eq.\"say \\\"hi\\\"\"", "say \"hi\"")]
    [InlineData("name=eq.\"back\\\\slash\"", "back\\slash")]
    [InlineData("name=eq.\"(x)\"", "(x)")]
    [InlineData("name=eq.\" padded \"", " padded ")]
    [InlineData("name=eq.\"\"", "")]
    [InlineData("name=eq.a\"b", "a\"b")]
    [InlineData("name=eq.:)", ":)")]
    [InlineData("name=eq.f(x)", "f(x)")]
    [InlineData("name=eq. spaced ", " spaced ")]
    public void Quoted_values_are_unquoted_and_others_taken_as_written(string filter, string value)
    {
        var parsed = Products.Filter(filter);
        Assert.True(parsed.Matches(Row("1", value)));
        Assert.Equal(value, parsed.Conditions[0].EqualityText);
    }

    [Fact]
    public void In_lists_keep_their_commas()
    {
        var filter = Products.Filter("name=in.(\"a,b\",c),id=in.(1,2)");
        Assert.Equal(2, filter.Conditions.Count);
        Assert.True(filter.Matches(Row("2", "a,b")));
        Assert.False(filter.Matches(Row("2", "a")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_blank_filter_has_no_condition_and_matches_every_row(string text)
    {
        var filter = Products.Filter(text);
        Assert.Empty(filter.Conditions);
        Assert.Null(filter.IndexCondition);
        Assert.True(filter.Matches(Row()));
    }

    [Theory]
    [InlineData("id=eq.1,", "empty condition in filter")]
    [InlineData(",id=eq.1", "empty condition in filter")]
    [InlineData("id=eq.1,,id=eq.2", "empty condition in filter")]
    [InlineData("id=eq.1, ", "empty condition in filter")]
    [InlineData("name=eq.a,b", "condition \"b\" is not of the form column=operator.value")]
    [InlineData("name=eq.a,b", "double-quote values that contain a comma")]
    [InlineData("name=eq.\"abc", "unterminated quoted value")]
    [InlineData("name=eq.\"a\"b", "unexpected characters after the closing quote")]
    [InlineData("name=eq.a(b", "unbalanced '('")]
    [InlineData("id=eq.1,x=eq.2", "unknown column \"x\"")]
    [InlineData("id=eq.1,id=eq.x", "filter value \"x\" is not a valid integer for column id")]
    [InlineData("id=eq.1 ,id=eq.2", "filter value \"1 \" is not a valid integer")]
    [InlineData("id=not.in.(1,2", "unbalanced '('")]
    public void Rejects_malformed_conjunctions_clearly(string text, string expectedPart)
    {
        Assert.Contains(expectedPart, Products.Error(text), StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_at_most_16_conditions()
    {
        var sixteen = string.Join(',', Enumerable.Repeat("id=gt.0", RowFilter.MaxConditions));
        Assert.Equal(16, Products.Filter(sixteen).Conditions.Count);
        Assert.Contains("more than 16 conditions", Products.Error(sixteen + ",id=gt.0"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id=eq.5", "id", "5")]
    [InlineData("id=gt.0,name=eq.x", "name", "x")]
    [InlineData("name=eq.x,id=eq.007", "name", "x")]
    [InlineData("id=not.neq.007", "id", "7")]
    [InlineData("id=not.isdistinct.5", "id", "5")]
    [InlineData("price=eq.1,id=eq.2", "id", "2")]
    [InlineData("id=not.eq.5", null, null)]
    [InlineData("id=isdistinct.5", null, null)]
    [InlineData("id=in.(5)", null, null)]
    [InlineData("price=eq.5", null, null)]
    public void The_index_condition_is_the_first_indexable_equality(string text, string? column, string? value)
    {
        var index = Products.Filter(text).IndexCondition;
        Assert.Equal(column, index?.Column);
        Assert.Equal(value, index?.EqualityText);
    }

    [Theory]
    [InlineData("id=gt.0,id=lt.100", "50")]
    [InlineData("id=not.eq.5,id=not.in.(1,2)", "50")]
    [InlineData("id=isdistinct.3,id=not.is.null", "50")]
    [InlineData("name=like.a%b_c,name=ilike.A%", "axbyc")]
    public void Matching_old_and_like_operators_does_not_allocate(string filter, string value)
    {
        var parsed = Products.Filter(filter);
        var row = parsed.Conditions[0].Column == "id" ? Row(value) : Row(null, value);
        Assert.True(parsed.Matches(row));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
            parsed.Matches(row);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
