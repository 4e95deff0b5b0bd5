using CsCheck;
using Sluice.Server.Filters;

namespace Sluice.Tests.Filters;

/// <summary>
/// Properties of the logic: a comma-AND filter matches exactly when every one of its conditions matches, and
/// <c>not.op</c> is SQL NOT of <c>op</c> (true ↔ false, unknown stays unknown).
/// </summary>
public class RowFilterLogicProperties
{
    private static readonly Gen<string?> IdValue = Gen.Int[-4, 3].Select(i => i == -4 ? null : i.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private static readonly Gen<string> Word = Gen.Char["aAb%_,( \"\\é"].Array[0, 4].Select(chars => new string(chars));
    private static readonly Gen<string?> NameValue = Gen.Select(Gen.Int[0, 5], Word, (n, w) => n == 0 ? null : w);
    private static readonly Gen<string?> ActiveValue = Gen.OneOf<string?>("t", "f", null);

    private static readonly Gen<string> IntLiteral = Gen.Int[-3, 3].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private static readonly Gen<string> LikePattern = Gen.Char["aAb%_é"].Array[0, 4].Select(chars => new string(chars));
    private static readonly Gen<string> Regex = Gen.OneOf<string>("^a", "b$", "a|b", "^(a|b)+$", "[aé]", "^.$", "\\(", "A");

    /// <summary>One condition without the not. prefix: column=op.value.</summary>
    private static readonly Gen<string> Condition = Gen.OneOf(
        Gen.Select(Gen.OneOf<string>("eq", "neq", "lt", "lte", "gt", "gte", "isdistinct"), IntLiteral, (op, v) => $"id={op}.{v}"),
        IntLiteral.Array[1, 3].Select(vs => $"id=in.({string.Join(',', vs)})"),
        Gen.OneOf<string>("id=is.null", "id=is.not_null", "name=is.null", "active=is.true", "active=is.false", "active=is.unknown", "active=is.not_null"),
        Gen.Select(Gen.OneOf<string>("eq", "neq", "lt", "gt", "isdistinct"), Word, (op, v) => $"name={op}.{Quote(v)}"),
        Word.Array[1, 3].Select(vs => $"name=in.({string.Join(',', vs.Select(Quote))})"),
        Gen.Select(Gen.OneOf<string>("like", "ilike"), LikePattern, (op, v) => $"name={op}.{v}"),
        Gen.Select(Gen.OneOf<string>("match", "imatch"), Regex, (op, v) => $"name={op}.{Quote(v)}"),
        Gen.Select(Gen.OneOf<string>("eq", "neq"), Gen.OneOf<string>("true", "false"), (op, v) => $"active={op}.{v}"));

    private static readonly Gen<string> MaybeNegated = Gen.Select(Gen.Bool, Condition, (not, c) => not ? Negate(c) : c);

    private static readonly Gen<string?[]> Row = Gen.Select(IdValue, NameValue, ActiveValue, (id, name, active) =>
    {
        var row = Products.RowWith("id", id);
        row[Products.Table.IndexOf("name")] = name;
        row[Products.Table.IndexOf("active")] = active;
        return row;
    });

    [Fact]
    public void A_conjunction_matches_iff_every_condition_matches()
    {
        Gen.Select(MaybeNegated.Array[1, 5], Row).Sample((conditions, row) =>
        {
            var whole = Products.Filter(string.Join(',', conditions)).Matches(row);
            var each = conditions.All(c => Products.Filter(c).Matches(row));
            return whole == each;
        }, iter: 5_000);
    }

    [Fact]
    public void Not_is_sql_not()
    {
        Gen.Select(Condition, Row).Sample((condition, row) =>
        {
            var positive = Products.Filter(condition).Conditions.Single().Evaluate(row);
            var negated = Products.Filter(Negate(condition)).Conditions.Single().Evaluate(row);
            var expected = positive switch
            {
                FilterTruth.True => FilterTruth.False,
                FilterTruth.False => FilterTruth.True,
                _ => FilterTruth.Unknown,
            };
            // And unknown arises exactly from a NULL column, except for is and isdistinct, which are never unknown.
            var column = Products.Filter(condition).Conditions[0];
            var nullable = column.Operator is not (FilterOperator.IsNull or FilterOperator.IsNotNull or FilterOperator.IsTrue
                or FilterOperator.IsFalse or FilterOperator.IsUnknown or FilterOperator.IsDistinct);
            var unknownExpected = nullable && row[column.Ordinal] is null;
            return negated == expected && (positive == FilterTruth.Unknown) == unknownExpected;
        }, iter: 5_000);
    }

    private static string Negate(string condition)
    {
        var equals = condition.IndexOf('=', StringComparison.Ordinal);
        return string.Concat(condition.AsSpan(0, equals + 1), "not.", condition.AsSpan(equals + 1));
    }

    /// <summary>Quotes as realtime-js' filter builder does: values with , ( ) " \ or surrounding spaces.</summary>
    internal static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",()\"\\") >= 0 || value != value.Trim() || value.Length == 0
            ? "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
            : value;
}
