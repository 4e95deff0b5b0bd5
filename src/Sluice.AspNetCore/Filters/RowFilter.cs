using System.Diagnostics.CodeAnalysis;
using Sluice.Server.Capture;

namespace Sluice.Server.Filters;

/// <summary>
/// A subscription's row filter in PostgREST style: one or more <see cref="FilterCondition"/>s,
/// <c>column=[not.]operator.value</c>, separated by commas and all required (AND). Parsed once against a table and
/// then evaluated against each change's row.
/// </summary>
/// <remarks>
/// <para>Operators: <c>eq</c>, <c>neq</c>, <c>lt</c>, <c>lte</c>, <c>gt</c>, <c>gte</c>, <c>in.(a,b,"c,d")</c>
/// (at most <see cref="MaxInValues"/> values), <c>like</c>/<c>ilike</c> (<c>%</c>, <c>_</c>, backslash escape;
/// <c>*</c> is a literal, as in supabase/realtime), <c>match</c>/<c>imatch</c> (regular expressions, see
/// <see cref="FilterRegex"/>), <c>isdistinct</c>, and <c>is.null</c>, <c>is.not_null</c>, <c>is.true</c>,
/// <c>is.false</c>, <c>is.unknown</c>. Any of them may be prefixed with <c>not.</c>. A value that contains
/// ',', '(', ')', '"' or '\' is written in double quotes with '\' escaping the next character; any other value is
/// taken exactly as written. Names and operators are case-sensitive. A blank filter has no condition and matches
/// every row.</para>
/// <para>Values are parsed once here and compared by value as PostgreSQL would: integers numerically,
/// numerics exactly at any precision (12.5 equals 12.50), floats with NaN above everything, timestamps with
/// time zone by instant (filter values need an offset: 2024-01-02T03:04:05Z), timestamps without time zone
/// and dates by calendar value, time by time of day, time with time zone by UTC time then zone (so
/// 03:00+02 does not equal 01:00Z, as in PostgreSQL), uuids by bytes, text ordinally (as the C collation
/// would, not the column's collation). Array and json columns support only <c>is.null</c> and
/// <c>is.not_null</c>.</para>
/// <para>As in SQL, a condition on a NULL column is unknown (so neither <c>eq</c> nor <c>not.eq</c> matches) except
/// for <c>is</c> and <c>isdistinct</c>; a row matches when every condition is true. A value the WAL did not carry
/// (<see cref="RowValues.Unavailable"/>) makes its condition unknown whatever the operator: the filter cannot tell,
/// so the change is not sent.</para>
/// </remarks>
internal sealed class RowFilter
{
    public const int MaxTextLength = 1000;
    public const int MaxInValues = 100;
    public const int MaxConditions = 16;

    private readonly FilterCondition[] _conditions;

    private RowFilter(string text, FilterCondition[] conditions)
    {
        Text = text;
        _conditions = conditions;
        foreach (var condition in conditions)
        {
            if (condition is { IsEquality: true, EqualityText: not null })
            {
                IndexCondition = condition;
                break;
            }
        }
    }

    /// <summary>The filter as written.</summary>
    public string Text { get; }

    /// <summary>The conditions, in the order written; all must hold.</summary>
    internal IReadOnlyList<FilterCondition> Conditions => _conditions;

    /// <summary>
    /// The first condition a router may index by value (an equality with a canonical <see cref="FilterCondition.EqualityText"/>):
    /// a row can only match when that column prints as that text. Null when there is none.
    /// </summary>
    internal FilterCondition? IndexCondition { get; }

    public static bool TryParse(string text, TableSchema table, [NotNullWhen(true)] out RowFilter? filter, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(table);
        filter = null;
        if (text.Length > MaxTextLength)
            return Fail($"filter is longer than {MaxTextLength} characters", out error);
        if (string.IsNullOrWhiteSpace(text))
        {
            filter = new RowFilter(text, []);
            error = null;
            return true;
        }

        var ranges = new List<Range>();
        if (!FilterSyntax.TrySplit(text, MaxConditions, ranges, out error))
            return false;
        var conditions = new FilterCondition[ranges.Count];
        for (var i = 0; i < conditions.Length; i++)
        {
            if (!FilterCondition.TryParse(text[ranges[i]], table, out var condition, out error))
                return false;
            conditions[i] = condition;
        }

        filter = new RowFilter(text, conditions);
        return true;
    }

    /// <summary>Whether the row (text values by column position, as captured) passes every condition.</summary>
    public bool Matches(string?[] row) => Evaluate(row) == FilterTruth.True;

    /// <summary>
    /// True when the row passes every condition; otherwise the first condition's result that is not true. The work is
    /// bounded per row: every operator but the regular expressions is linear in the values it reads (LIKE included, see
    /// <see cref="LikePattern"/>), each regular expression match is cut off after <see cref="FilterRegex.MatchTimeout"/>,
    /// and no further regular expression starts once the filter has spent that long on the row
    /// (<see cref="FilterTruth.Exceeded"/>: the change is withheld, not guessed).
    /// </summary>
    internal FilterTruth Evaluate(string?[] row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var started = 0L;
        foreach (var condition in _conditions)
        {
            if (condition.IsRegex)
            {
                if (started == 0)
                    started = System.Diagnostics.Stopwatch.GetTimestamp();
                else if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > FilterRegex.MatchTimeout)
                    return FilterTruth.Exceeded;
            }
            var truth = condition.Evaluate(row);
            if (truth != FilterTruth.True)
                return truth;
        }

        return FilterTruth.True;
    }

    public override string ToString() => Text;

    private static bool Fail(string message, [NotNullWhen(false)] out string? error)
    {
        error = message;
        return false;
    }
}
