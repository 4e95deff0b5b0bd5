namespace Sluice.Server.Filters;

/// <summary>
/// The comparison of a <see cref="FilterCondition"/>, spelled as in PostgREST filters. Any of them may be negated
/// with a <c>not.</c> prefix (<see cref="FilterCondition.Negated"/>).
/// </summary>
internal enum FilterOperator : byte
{
    /// <summary><c>eq.value</c>: equal.</summary>
    Eq,
    /// <summary><c>neq.value</c>: not equal (a NULL column does not match).</summary>
    Neq,
    /// <summary><c>lt.value</c>: less than.</summary>
    Lt,
    /// <summary><c>lte.value</c>: less than or equal.</summary>
    Lte,
    /// <summary><c>gt.value</c>: greater than.</summary>
    Gt,
    /// <summary><c>gte.value</c>: greater than or equal.</summary>
    Gte,
    /// <summary><c>in.(a,b,"c,d")</c>: equal to one of up to 100 values.</summary>
    In,
    /// <summary><c>is.null</c>: the column is SQL NULL.</summary>
    IsNull,
    /// <summary><c>is.not_null</c>: the column is not SQL NULL.</summary>
    IsNotNull,
    /// <summary><c>like.pattern</c>: SQL <c>LIKE</c> (<c>%</c>, <c>_</c>, backslash escape), text columns only.</summary>
    Like,
    /// <summary><c>ilike.pattern</c>: SQL <c>ILIKE</c>, case-insensitive <see cref="Like"/>.</summary>
    ILike,
    /// <summary><c>match.regex</c>: PostgreSQL <c>~</c>, a regular expression found anywhere in the value.</summary>
    Match,
    /// <summary><c>imatch.regex</c>: PostgreSQL <c>~*</c>, case-insensitive <see cref="Match"/>.</summary>
    IMatch,
    /// <summary><c>isdistinct.value</c>: <c>IS DISTINCT FROM</c>, not equal with NULL treated as a value (a NULL column matches).</summary>
    IsDistinct,
    /// <summary><c>is.true</c>: a boolean column is true (never NULL).</summary>
    IsTrue,
    /// <summary><c>is.false</c>: a boolean column is false (never NULL).</summary>
    IsFalse,
    /// <summary><c>is.unknown</c>: a boolean column is NULL.</summary>
    IsUnknown,
}
