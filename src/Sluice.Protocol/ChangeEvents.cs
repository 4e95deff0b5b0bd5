namespace Sluice.Protocol;

/// <summary>The set of change types a subscription wants.</summary>
[Flags]
public enum ChangeEvents : byte
{
    /// <summary>No change type.</summary>
    None = 0,
    /// <summary>INSERT.</summary>
    Insert = 1,
    /// <summary>UPDATE.</summary>
    Update = 2,
    /// <summary>DELETE.</summary>
    Delete = 4,
    /// <summary>TRUNCATE.</summary>
    Truncate = 8,
    /// <summary>All change types.</summary>
    All = Insert | Update | Delete | Truncate,
}
