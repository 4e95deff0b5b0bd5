namespace Sluice.Server.Routing;

/// <summary>How a change is shown to a subscriber, which row-level security can narrow (see <see cref="RowSecurity.AccessVerdict"/>).</summary>
internal enum ChangeShape : byte
{
    /// <summary>As captured.</summary>
    AsCaptured,

    /// <summary>Without <c>old_record</c>: the subscriber could not see the row before the UPDATE.</summary>
    WithoutOld,

    /// <summary>As a DELETE of the old row: the UPDATE took the row out of the subscriber's sight.</summary>
    AsDelete,
}
