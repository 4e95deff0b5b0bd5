using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Sluice.Server.Capture;

namespace Sluice.Server.Routing;

/// <summary>
/// A subscription's row filter in PostgREST style, <c>column=operator.value</c>, parsed once against a
/// table and then evaluated against each change's row.
/// </summary>
/// <remarks>
/// <para>Operators: <c>eq</c>, <c>neq</c>, <c>lt</c>, <c>lte</c>, <c>gt</c>, <c>gte</c>, <c>in.(a,b,"c,d")</c>
/// (at most <see cref="MaxInValues"/> values; quote a value to keep ',', '(', ')', '"' or surrounding spaces,
/// with '\' escaping the next character), <c>is.null</c> and <c>is.not_null</c>. Names and operators are
/// case-sensitive; the value after <c>eq.</c> and the like is taken exactly as written, quotes included.</para>
/// <para>Values are parsed once here and compared by value as PostgreSQL would: integers numerically,
/// numerics exactly at any precision (12.5 equals 12.50), floats with NaN above everything, timestamps with
/// time zone by instant (filter values need an offset: 2024-01-02T03:04:05Z), timestamps without time zone
/// and dates by calendar value, time by time of day, time with time zone by UTC time then zone (so
/// 03:00+02 does not equal 01:00Z, as in PostgreSQL), uuids by bytes, text ordinally (as the C collation
/// would, not the column's collation). Array and json columns support only <c>is.null</c> and
/// <c>is.not_null</c>.</para>
/// <para>As in SQL, a NULL column matches only <c>is.null</c>. A value the WAL did not carry
/// (<see cref="RowValues.Unavailable"/>) matches nothing, not even <c>is.not_null</c>: the filter cannot
/// tell, so the change is not sent.</para>
/// </remarks>
public sealed class RowFilter
{
    public const int MaxTextLength = 1000;
    public const int MaxInValues = 100;

    private readonly ValueKind _kind;
    private readonly FilterValue _value;
    private readonly FilterValue[] _inValues;

    private RowFilter(string text, string column, int ordinal, ValueKind kind, FilterOperator op, FilterValue value, FilterValue[] inValues, string? equalityText)
    {
        Text = text;
        Column = column;
        Ordinal = ordinal;
        _kind = kind;
        Operator = op;
        _value = value;
        _inValues = inValues;
        EqualityText = equalityText;
    }

    /// <summary>The filter as written.</summary>
    public string Text { get; }

    /// <summary>The filtered column's name.</summary>
    public string Column { get; }

    /// <summary>The filtered column's position in the table's rows.</summary>
    public int Ordinal { get; }

    public FilterOperator Operator { get; }

    /// <summary>The filter is <c>eq</c>: a router may index it by value.</summary>
    public bool IsEquality => Operator == FilterOperator.Eq;

    /// <summary>
    /// For <c>eq</c> on a kind whose PostgreSQL text output is canonical (integer, boolean, uuid, date, text),
    /// the value exactly as PostgreSQL prints it ("007" → "7", "true" → "t"), so a row's text value can be
    /// looked up directly; otherwise null.
    /// </summary>
    public string? EqualityText { get; }

    public static bool TryParse(string text, TableSchema table, [NotNullWhen(true)] out RowFilter? filter, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(table);
        filter = null;
        if (text.Length > MaxTextLength)
            return Fail($"filter is longer than {MaxTextLength} characters", out error);
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        var dot = equals < 0 ? -1 : text.IndexOf('.', equals + 1);
        if (equals <= 0 || dot < 0)
            return Fail($"filter \"{Shorten(text)}\" is not of the form column=operator.value", out error);

        var column = text[..equals];
        var ordinal = table.IndexOf(column);
        if (ordinal < 0)
            return Fail($"unknown column \"{column}\" in {table.Schema}.{table.Name}", out error);
        var type = table.Columns[ordinal].Type;
        var operatorName = text[(equals + 1)..dot];
        var argument = text[(dot + 1)..];
        if (operatorName == "is" && argument is not ("null" or "not_null"))
            return Fail($"\"is\" supports only is.null and is.not_null, not is.{Shorten(argument)}", out error);
        if (!TryParseOperator(operatorName, argument, out var op))
            return Fail($"unknown operator \"{operatorName}\" in filter \"{Shorten(text)}\"; expected eq, neq, lt, lte, gt, gte, in, is.null or is.not_null", out error);

        if (op is FilterOperator.IsNull or FilterOperator.IsNotNull)
        {
            filter = new RowFilter(text, column, ordinal, type.Kind, op, default, [], null);
            error = null;
            return true;
        }

        if (type.IsArray || type.Kind == ValueKind.Json)
            return Fail($"column {column} is {(type.IsArray ? "an array" : "json")}; only is.null and is.not_null are supported on it", out error);

        if (op == FilterOperator.In)
            return TryCreateIn(text, column, ordinal, type.Kind, argument, out filter, out error);

        if (!TryParseValue(column, type.Kind, argument, out var value, out error))
            return false;
        var equalityText = op == FilterOperator.Eq ? CanonicalText(type.Kind, argument, value) : null;
        filter = new RowFilter(text, column, ordinal, type.Kind, op, value, [], equalityText);
        return true;
    }

    /// <summary>Whether the row (text values by column position, as captured) passes the filter.</summary>
    public bool Matches(string?[] row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if ((uint)Ordinal >= (uint)row.Length)
            return false;
        var text = row[Ordinal];
        if (RowValues.IsUnavailable(text))
            return false;
        if (Operator == FilterOperator.IsNull)
            return text is null;
        if (text is null)
            return false;
        if (Operator == FilterOperator.IsNotNull)
            return true;
        if (!FilterValueParser.TryParse(_kind, text, out var value))
            return false;
        if (Operator == FilterOperator.In)
            return IsInList(value);

        var order = FilterValue.Compare(_kind, value, _value);
        return Operator switch
        {
            FilterOperator.Eq => order == 0,
            FilterOperator.Neq => order != 0,
            FilterOperator.Lt => order < 0,
            FilterOperator.Lte => order <= 0,
            FilterOperator.Gt => order > 0,
            FilterOperator.Gte => order >= 0,
            _ => false,
        };
    }

    public override string ToString() => Text;

    private bool IsInList(in FilterValue value)
    {
        foreach (ref readonly var candidate in _inValues.AsSpan())
        {
            if (FilterValue.Compare(_kind, value, candidate) == 0)
                return true;
        }

        return false;
    }

    private static bool TryParseOperator(string name, string argument, out FilterOperator op)
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
            "is" when argument == "null" => FilterOperator.IsNull,
            "is" when argument == "not_null" => FilterOperator.IsNotNull,
            _ => null,
        };
        op = parsed.GetValueOrDefault();
        return parsed.HasValue;
    }

    private static bool TryCreateIn(string text, string column, int ordinal, ValueKind kind, string list, [NotNullWhen(true)] out RowFilter? filter, [NotNullWhen(false)] out string? error)
    {
        filter = null;
        if (!InListSyntax.TrySplit(list, MaxInValues, out var items, out error))
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

        filter = new RowFilter(text, column, ordinal, kind, FilterOperator.In, default, values, null);
        return true;
    }

    private static bool TryParseValue(string column, ValueKind kind, string text, out FilterValue value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (!FilterValueParser.TryParse(kind, text, out value))
            return Fail($"filter value \"{Shorten(text)}\" is not {FilterValueParser.Describe(kind)} for column {column}", out error);
        if (kind is ValueKind.Timestamp or ValueKind.TimestampTz or ValueKind.Date
            && value.Key is FilterValue.BeforeRangeKey or FilterValue.AfterRangeKey)
            return Fail($"filter value \"{Shorten(text)}\" for column {column} is outside the supported range (years 1 to 9999)", out error);
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

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
