namespace Sluice.Server.Routing;

/// <summary>The comparison of a <see cref="RowFilter"/>, spelled as in PostgREST filters.</summary>
public enum FilterOperator : byte
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
}
