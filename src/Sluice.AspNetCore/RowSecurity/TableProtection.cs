namespace Sluice.Server.RowSecurity;

/// <summary>Whether a captured table's changes need a row-level security verdict, as read from <c>pg_class</c> when they are dispatched.</summary>
internal enum TableProtection : byte
{
    /// <summary>Row-level security is off: whoever may subscribe to the table sees its changes.</summary>
    None,

    /// <summary>Row-level security is on: each access group gets a verdict per change.</summary>
    RowLevelSecurity,

    /// <summary>
    /// The table no longer exists: whether it had row-level security is unknown, so it is treated as protected and its
    /// changes are withheld (<see cref="AccessVerdict.TableGone"/>). Fail closed: a missing fact never means "allowed".
    /// </summary>
    Gone,
}
