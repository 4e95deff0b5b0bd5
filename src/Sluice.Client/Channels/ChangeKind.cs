namespace Sluice.Client;

/// <summary>What happened to a row.</summary>
public enum ChangeKind
{
    /// <summary>A row was inserted; <see cref="Change{T}.Record"/> holds it.</summary>
    Insert,
    /// <summary>A row was updated; <see cref="Change{T}.Record"/> holds the new and <see cref="Change{T}.OldRecord"/> the old version.</summary>
    Update,
    /// <summary>A row was deleted; <see cref="Change{T}.OldRecord"/> holds it.</summary>
    Delete,
    /// <summary>The table was truncated: every row of the channel is gone. No record.</summary>
    Truncate,
}
