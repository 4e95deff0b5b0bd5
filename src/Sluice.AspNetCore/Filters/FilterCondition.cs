using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Server.Capture;

namespace Sluice.Server.Filters;

/// <summary>
/// One condition of a <see cref="RowFilter"/>, <c>column=[not.]operator.value</c>, parsed once against a table and
/// then evaluated against each change's row with SQL's three-valued logic.
/// </summary>
internal sealed class FilterCondition
{
    private readonly ValueKind _kind;
    private readonly FilterValue _value;
    private readonly FilterValue[] _inValues;
    private readonly LikePattern? _like;
    private readonly Regex? _regex;

    private FilterCondition(string text, string column, int ordinal, ValueKind kind, FilterOperator op, bool negated,
        FilterValue value = default, FilterValue[]? inValues = null, string? equalityText = null, LikePattern? like = null, Regex? regex = null)
    {
        Text = text;
        Column = column;
        Ordinal = ordinal;
        _kind = kind;
        Operator = op;
        Negated = negated;
        _value = value;
        _inValues = inValues ?? [];
        EqualityText = equalityText;
        _like = like;
        _regex = regex;
    }

    /// <summary>The condition as written.</summary>
    public string Text { get; }

    /// <summary>The filtered column's name.</summary>
    public string Column { get; }

    /// <summary>The filtered column's position in the table's rows.</summary>
    public int Ordinal { get; }

    public FilterOperator Operator { get; }

    /// <summary>Written with the <c>not.</c> prefix: SQL <c>NOT</c> of the operator (NOT of unknown stays unknown).</summary>
    public bool Negated { get; }

    /// <summary>
    /// The condition holds exactly when the column's non-NULL value equals a value (<c>eq</c>, <c>not.neq</c>,
    /// <c>not.isdistinct</c>): a router may index it by value.
    /// </summary>
    public bool IsEquality => Negated
        ? Operator is FilterOperator.Neq or FilterOperator.IsDistinct
        : Operator == FilterOperator.Eq;

    /// <summary>
    /// For an <see cref="IsEquality"/> condition on a kind whose PostgreSQL text output is canonical (integer, boolean,
    /// uuid, date, text), the value exactly as PostgreSQL prints it ("007" → "7", "true" → "t"), so a row's text value
    /// can be looked up directly; otherwise null.
    /// </summary>
    public string? EqualityText { get; }

    /// <summary>Whether the row (text values by column position, as captured) satisfies the condition.</summary>
    public bool Matches(string?[] row) => Evaluate(row) == FilterTruth.True;

    /// <summary>A regular expression: the one operator whose cost per value is bounded by time rather than by its length.</summary>
    internal bool IsRegex => _regex is not null;

    public override string ToString() => Text;

    internal FilterTruth Evaluate(string?[] row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if ((uint)Ordinal >= (uint)row.Length)
            return FilterTruth.Unknown;
        var text = row[Ordinal];
        // A value the WAL did not carry: the filter cannot tell, whatever the operator.
        if (RowValues.IsUnavailable(text))
            return FilterTruth.Unknown;
        var result = EvaluatePositive(text);
        if (!Negated || result is FilterTruth.Unknown or FilterTruth.Exceeded)
            return result;
        return result == FilterTruth.True ? FilterTruth.False : FilterTruth.True;
    }

    private FilterTruth EvaluatePositive(string? text)
    {
        switch (Operator)
        {
            case FilterOperator.IsNull or FilterOperator.IsUnknown:
                return Truth(text is null);
            case FilterOperator.IsNotNull:
                return Truth(text is not null);
            case FilterOperator.IsTrue or FilterOperator.IsFalse:
                if (text is null)
                    return FilterTruth.False;
                if (!FilterValueParser.TryParse(ValueKind.Boolean, text, out var boolean))
                    return FilterTruth.Unknown;
                return Truth((boolean.Key == 1) == (Operator == FilterOperator.IsTrue));
        }

        if (text is null)
            return Operator == FilterOperator.IsDistinct ? FilterTruth.True : FilterTruth.Unknown;
        switch (Operator)
        {
            case FilterOperator.Like or FilterOperator.ILike:
                return Truth(_like!.IsMatch(text));
            case FilterOperator.Match or FilterOperator.IMatch:
                return FilterRegex.Matches(_regex!, text);
        }

        if (!FilterValueParser.TryParse(_kind, text, out var value))
            return FilterTruth.Unknown;
        if (Operator == FilterOperator.In)
            return Truth(IsInList(value));

        var order = FilterValue.Compare(_kind, value, _value);
        return Operator switch
        {
            FilterOperator.Eq => Truth(order == 0),
            FilterOperator.Neq or FilterOperator.IsDistinct => Truth(order != 0),
            FilterOperator.Lt => Truth(order < 0),
            FilterOperator.Lte => Truth(order <= 0),
            FilterOperator.Gt => Truth(order > 0),
            FilterOperator.Gte => Truth(order >= 0),
            _ => FilterTruth.Unknown,
        };
    }

    private static FilterTruth Truth(bool value) => value ? FilterTruth.True : FilterTruth.False;

    private bool IsInList(in FilterValue value)
    {
        foreach (ref readonly var candidate in _inValues.AsSpan())
        {
            if (FilterValue.Compare(_kind, value, candidate) == 0)
                return true;
        }

        return false;
    }

    internal static bool TryParse(string text, TableSchema table, [NotNullWhen(true)] out FilterCondition? condition, [NotNullWhen(false)] out string? error)
    {
        condition = null;
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        var rest = equals < 0 ? "" : text[(equals + 1)..];
        var negated = rest.StartsWith("not.", StringComparison.Ordinal);
        if (negated)
            rest = rest[4..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        if (equals <= 0 || dot < 0)
            return Fail($"condition \"{FilterSyntax.Shorten(text)}\" is not of the form column=operator.value (or column=not.operator.value); double-quote values that contain a comma", out error);

        var column = text[..equals];
        var ordinal = table.IndexOf(column);
        if (ordinal < 0)
            return Fail($"unknown column \"{column}\" in {table.Schema}.{table.Name}", out error);
        var type = table.Columns[ordinal].Type;
        var operatorName = rest[..dot];
        var argument = rest[(dot + 1)..];

        if (operatorName == "is")
            return TryCreateIs(text, column, ordinal, type, negated, argument, out condition, out error);
        if (!TryParseOperator(operatorName, out var op))
            return Fail($"unknown operator \"{operatorName}\" in filter \"{FilterSyntax.Shorten(text)}\"; expected eq, neq, lt, lte, gt, gte, in, like, ilike, match, imatch, isdistinct or is, optionally prefixed with not.", out error);

        if (type.IsArray || type.Kind == ValueKind.Json)
            return Fail($"column {column} is {(type.IsArray ? "an array" : "json")}; only is.null and is.not_null are supported on it", out error);

        if (op == FilterOperator.In)
            return TryCreateIn(text, column, ordinal, type.Kind, negated, argument, out condition, out error);

        if (!FilterSyntax.TryUnquote(argument, out var value, out error))
        {
            error = $"{error} (column {column})";
            return false;
        }

        if (op is FilterOperator.Like or FilterOperator.ILike or FilterOperator.Match or FilterOperator.IMatch)
            return TryCreatePattern(text, column, ordinal, type, op, negated, value, out condition, out error);

        if (!TryParseValue(column, type.Kind, value, out var parsed, out error))
            return false;
        condition = new FilterCondition(text, column, ordinal, type.Kind, op, negated, parsed);
        if (condition.IsEquality)
            condition = new FilterCondition(text, column, ordinal, type.Kind, op, negated, parsed, equalityText: CanonicalText(type.Kind, value, parsed));
        return true;
    }

    private static bool TryCreateIs(string text, string column, int ordinal, ColumnType type, bool negated, string argument, [NotNullWhen(true)] out FilterCondition? condition, [NotNullWhen(false)] out string? error)
    {
        condition = null;
        FilterOperator op;
        switch (argument)
        {
            case "null":
                op = FilterOperator.IsNull;
                break;
            case "not_null":
                op = FilterOperator.IsNotNull;
                break;
            case "true":
                op = FilterOperator.IsTrue;
                break;
            case "false":
                op = FilterOperator.IsFalse;
                break;
            case "unknown":
                op = FilterOperator.IsUnknown;
                break;
            default:
                return Fail($"\"is\" supports only is.null, is.not_null, is.true, is.false and is.unknown, not is.{FilterSyntax.Shorten(argument)}", out error);
        }

        if (op is FilterOperator.IsTrue or FilterOperator.IsFalse or FilterOperator.IsUnknown && (type.IsArray || type.Kind != ValueKind.Boolean))
            return Fail($"is.{argument} needs a boolean column; column {column} is not boolean", out error);
        condition = new FilterCondition(text, column, ordinal, type.Kind, op, negated);
        error = null;
        return true;
    }

    private static bool TryCreatePattern(string text, string column, int ordinal, ColumnType type, FilterOperator op, bool negated, string pattern, [NotNullWhen(true)] out FilterCondition? condition, [NotNullWhen(false)] out string? error)
    {
        condition = null;
        var name = op.ToString().ToLowerInvariant();
        if (!IsStringType(type))
            return Fail($"{name} needs a text column (text, varchar, char or name); column {column} is not one", out error);
        if (op is FilterOperator.Like or FilterOperator.ILike)
        {
            if (!LikePattern.TryCreate(pattern, op == FilterOperator.ILike, out var like, out error))
                return Fail($"invalid {name} pattern \"{FilterSyntax.Shorten(pattern)}\" for column {column}: {error}", out error);
            condition = new FilterCondition(text, column, ordinal, type.Kind, op, negated, like: like);
            return true;
        }

        if (!FilterRegex.TryCreate(pattern, op == FilterOperator.IMatch, out var regex, out error))
            return Fail($"{name} filter on column {column}: {error}", out error);
        condition = new FilterCondition(text, column, ordinal, type.Kind, op, negated, regex: regex);
        return true;
    }

    /// <summary>text, varchar, bpchar and name: the types PostgreSQL has LIKE and regular-expression operators for.</summary>
    private static bool IsStringType(ColumnType type) =>
        !type.IsArray && type.Kind == ValueKind.Text && type.Oid is 25 or 1043 or 1042 or 19;

    private static bool TryParseOperator(string name, out FilterOperator op)
    {
        FilterOperator? parsed = name switch
        {
            "eq" => FilterOperator.Eq,
            "neq" => FilterOperator.Neq,
            "lt" => FilterOperator.Lt,
            "lte" => FilterOperator.Lte,
            "gt" => FilterOperator.Gt,
            "gte" => FilterOperator.Gte,
            "in" => FilterOperator.In,
            "like" => FilterOperator.Like,
            "ilike" => FilterOperator.ILike,
            "match" => FilterOperator.Match,
            "imatch" => FilterOperator.IMatch,
            "isdistinct" => FilterOperator.IsDistinct,
            _ => null,
        };
        op = parsed.GetValueOrDefault();
        return parsed.HasValue;
    }

    private static bool TryCreateIn(string text, string column, int ordinal, ValueKind kind, bool negated, string list, [NotNullWhen(true)] out FilterCondition? condition, [NotNullWhen(false)] out string? error)
    {
        condition = null;
        if (!InListSyntax.TrySplit(list, RowFilter.MaxInValues, out var items, out error))
        {
            error = $"{error} (column {column})";
            return false;
        }

        var values = new FilterValue[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            if (!TryParseValue(column, kind, items[i], out values[i], out error))
                return false;
        }

        condition = new FilterCondition(text, column, ordinal, kind, FilterOperator.In, negated, inValues: values);
        return true;
    }

    private static bool TryParseValue(string column, ValueKind kind, string text, out FilterValue value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (!FilterValueParser.TryParse(kind, text, out value))
            return Fail($"filter value \"{FilterSyntax.Shorten(text)}\" is not {FilterValueParser.Describe(kind)} for column {column}", out error);
        if (kind is ValueKind.Timestamp or ValueKind.TimestampTz or ValueKind.Date
            && value.Key is FilterValue.BeforeRangeKey or FilterValue.AfterRangeKey)
            return Fail($"filter value \"{FilterSyntax.Shorten(text)}\" for column {column} is outside the supported range (years 1 to 9999)", out error);
        return true;
    }

    private static string? CanonicalText(ValueKind kind, string text, in FilterValue value) => kind switch
    {
        ValueKind.Integer => value.Key.ToString(CultureInfo.InvariantCulture),
        ValueKind.Boolean => value.Key == 1 ? "t" : "f",
        ValueKind.Uuid => value.Uuid.ToString("D"),
        ValueKind.Text => text,
        ValueKind.Date => value.Key switch
        {
            FilterValue.PositiveInfinityKey => "infinity",
            FilterValue.NegativeInfinityKey => "-infinity",
            _ => DateOnly.FromDayNumber((int)value.Key).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        },
        _ => null,
    };

    private static bool Fail(string message, [NotNullWhen(false)] out string? error)
    {
        error = message;
        return false;
    }
}
