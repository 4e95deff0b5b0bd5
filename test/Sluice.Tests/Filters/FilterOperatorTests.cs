using Sluice.Server.Capture;
using Sluice.Server.Filters;

namespace Sluice.Tests.Filters;

/// <summary>The operators added after eq…in: like, ilike, match, imatch, isdistinct, is.true/false/unknown, and not.</summary>
public class FilterOperatorTests
{
    [Theory]
    [InlineData("name=like.a%", "abc", true)]
    [InlineData("name=like.a%", "bac", false)]
    [InlineData("name=like.%b%", "abc", true)]
    [InlineData("name=like.%b", "abc", false)]
    [InlineData("name=like.a_c", "abc", true)]
    [InlineData("name=like.a_c", "abbc", false)]
    [InlineData("name=like.a_c", "ac", false)]
    [InlineData("name=like.a%b%c", "aXbYc", true)]
    [InlineData("name=like.a%b%c", "aXbY", false)]
    [InlineData("name=like.%%a%%", "xax", true)]
    [InlineData("name=like.a\\%", "a%", true)]
    [InlineData("name=like.a\\%", "ab", false)]
    [InlineData("name=like.a\\_", "a_", true)]
    [InlineData("name=like.a\\_", "ab", false)]
    [InlineData("name=like.a\\\\b", "a\\b", true)]
    [InlineData("name=like.\\a", "a", true)]
    [InlineData("name=like.a*", "a*", true)]
    [InlineData("name=like.a*", "abc", false)]
    [InlineData("name=like.", "", true)]
    [InlineData("name=like.", "a", false)]
    [InlineData("name=like.%", "", true)]
    [InlineData("name=like._", "😀", true)]
    [InlineData("name=like.__", "😀", false)]
    [InlineData("name=like.%😀_", "x😀é", true)]
    [InlineData("name=like.ABC", "abc", false)]
    [InlineData("name=ilike.ABC", "abc", true)]
    [InlineData("name=ilike.a%", "ABC", true)]
    [InlineData("name=ilike.%É%", "café", true)]
    [InlineData("name=like.\"a,b%\"", "a,bc", true)]
    [InlineData("name=like.\" a%\"", " ab", true)]
    [InlineData("name=like.a b", "a b", true)]
    public void Like_and_ilike_follow_sql(string filter, string value, bool expected)
    {
        Assert.Equal(expected, Products.Filter(filter).Matches(Products.RowWith("name", value)));
    }

    [Theory]
    [InlineData("name=match.^a", "abc", true)]
    [InlineData("name=match.b", "abc", true)]
    [InlineData("name=match.^b", "abc", false)]
    [InlineData("name=match.c$", "abc", true)]
    [InlineData("name=match.c$", "abc\n", false)]
    [InlineData("name=match.c\\Z", "abc\n", false)]
    [InlineData("name=match.a.c", "a\nc", true)]
    [InlineData("name=match.^A", "abc", false)]
    [InlineData("name=imatch.^A", "abc", true)]
    [InlineData("name=match.(?i)^A", "abc", true)]
    [InlineData("name=match.\\yb", "a b", true)]
    [InlineData("name=match.\\yb", "ab", false)]
    [InlineData("name=match.\\Yb", "ab", true)]
    [InlineData("name=match.\\d+", "a12", true)]
    [InlineData("name=match.^(a|b)+$", "abab", true)]
    [InlineData("name=match.^(a|b)+$", "abc", false)]
    [InlineData("name=match.^(?:ab){2}$", "abab", true)]
    [InlineData("name=match.[]a]", "]", true)]
    [InlineData("name=match.[^]a]", "]", false)]
    [InlineData("name=match.[$]", "$", true)]
    [InlineData("name=match.\\$", "a$", true)]
    [InlineData("name=match.\"a,b\"", "xa,by", true)]
    public void Match_and_imatch_follow_postgresql_regular_expressions(string filter, string value, bool expected)
    {
        Assert.Equal(expected, Products.Filter(filter).Matches(Products.RowWith("name", value)));
    }

    [Fact]
    public void A_pathological_regular_expression_runs_in_linear_time()
    {
        // (a+)+$ backtracks exponentially; the non-backtracking engine answers at once.
        var filter = Products.Filter("name=match.^(a+)+$");
        Assert.False(filter.Matches(Products.RowWith("name", new string('a', 50_000) + "!")));
        Assert.True(filter.Matches(Products.RowWith("name", new string('a', 50_000))));
    }

    [Theory]
    [InlineData("name=match.\"(\"", "invalid regular expression")]
    [InlineData("name=match.[", "invalid regular expression")]
    [InlineData("name=match.\"(a)\\\\1\"", "back-references are not supported")]
    [InlineData("name=match.[[:alpha:]]", "POSIX bracket expressions")]
    [InlineData("name=match.\\mfoo", "\\m (start/end of word) is not supported")]
    [InlineData("name=match.\"(?=a)\"", "lookahead, lookbehind and other embedded options are not")]
    [InlineData("name=match.***=a", "directors are not supported")]
    [InlineData("name=match.a\\", "invalid escape")]
    [InlineData("id=match.1", "match needs a text column")]
    [InlineData("tags=imatch.a", "column tags is an array")]
    [InlineData("meta=like.a", "column meta is json")]
    [InlineData("name=like.a\\", "LIKE pattern must not end with escape character")]
    [InlineData("uid=ilike.a%", "ilike needs a text column")]
    public void Rejects_bad_patterns_with_a_clear_message(string filter, string expectedPart)
    {
        Assert.Contains(expectedPart, Products.Error(filter), StringComparison.Ordinal);
    }

    [Fact]
    public void Regular_expressions_are_limited_in_length()
    {
        Assert.NotNull(Products.Filter("name=match." + new string('a', FilterRegex.MaxPatternLength)));
        Assert.Contains("longer than 256 characters", Products.Error("name=match." + new string('a', FilterRegex.MaxPatternLength + 1)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id=isdistinct.5", "5", false)]
    [InlineData("id=isdistinct.5", "6", true)]
    [InlineData("id=isdistinct.5", null, true)]
    [InlineData("id=not.isdistinct.5", "5", true)]
    [InlineData("id=not.isdistinct.5", "6", false)]
    [InlineData("id=not.isdistinct.5", null, false)]
    [InlineData("price=isdistinct.1.50", "1.5", false)]
    [InlineData("name=isdistinct.null", null, true)]
    [InlineData("name=isdistinct.null", "null", false)]
    public void Isdistinct_treats_null_as_a_value(string filter, string? value, bool expected)
    {
        var parsed = Products.Filter(filter);
        Assert.Equal(expected, parsed.Matches(Products.RowWith(parsed.Conditions[0].Column, value)));
    }

    [Theory]
    [InlineData("active=is.true", "t", true)]
    [InlineData("active=is.true", "f", false)]
    [InlineData("active=is.true", null, false)]
    [InlineData("active=is.false", "f", true)]
    [InlineData("active=is.false", "t", false)]
    [InlineData("active=is.false", null, false)]
    [InlineData("active=is.unknown", null, true)]
    [InlineData("active=is.unknown", "t", false)]
    [InlineData("active=not.is.true", "f", true)]
    [InlineData("active=not.is.true", null, true)]
    [InlineData("active=not.is.true", "t", false)]
    [InlineData("active=not.is.false", null, true)]
    [InlineData("active=not.is.unknown", "f", true)]
    [InlineData("active=not.is.unknown", null, false)]
    [InlineData("active=not.is.null", null, false)]
    [InlineData("active=not.is.not_null", null, true)]
    public void Is_tests_booleans_and_null_and_is_never_unknown(string filter, string? value, bool expected)
    {
        Assert.Equal(expected, Products.Filter(filter).Matches(Products.RowWith("active", value)));
    }

    [Theory]
    [InlineData("id=not.eq.5", "5", false)]
    [InlineData("id=not.eq.5", "6", true)]
    [InlineData("id=not.eq.5", null, false)]
    [InlineData("id=not.neq.5", "5", true)]
    [InlineData("id=not.lt.5", "5", true)]
    [InlineData("id=not.lt.5", "4", false)]
    [InlineData("id=not.in.(1,2)", "3", true)]
    [InlineData("id=not.in.(1,2)", "2", false)]
    [InlineData("id=not.in.(1,2)", null, false)]
    [InlineData("id=not.is.null", "1", true)]
    [InlineData("id=not.is.null", null, false)]
    [InlineData("id=not.is.not_null", null, true)]
    [InlineData("name=not.like.a%", "bc", true)]
    [InlineData("name=not.like.a%", "ab", false)]
    [InlineData("name=not.like.a%", null, false)]
    [InlineData("name=not.match.^a", "ba", true)]
    [InlineData("name=not.imatch.^A", "ab", false)]
    public void Not_is_sql_not_so_a_null_column_stays_unknown(string filter, string? value, bool expected)
    {
        var parsed = Products.Filter(filter);
        Assert.True(parsed.Conditions[0].Negated);
        Assert.Equal(expected, parsed.Matches(Products.RowWith(parsed.Conditions[0].Column, value)));
    }

    [Theory]
    [InlineData("id=not.eq.1")]
    [InlineData("id=not.is.null")]
    [InlineData("id=not.is.not_null")]
    [InlineData("id=isdistinct.1")]
    [InlineData("id=not.isdistinct.1")]
    [InlineData("active=is.unknown")]
    [InlineData("active=not.is.true")]
    [InlineData("name=like.%")]
    [InlineData("name=not.match.x")]
    public void An_unavailable_value_matches_nothing_even_negated(string filter)
    {
        var parsed = Products.Filter(filter);
        Assert.False(parsed.Matches(Products.RowWith(parsed.Conditions[0].Column, RowValues.Unavailable)));
    }
}
