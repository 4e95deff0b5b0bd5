namespace Sluice.Server.Capture;

/// <summary>The kind of a row change.</summary>
public enum ChangeKind : byte
{
    Insert,
    Update,
    Delete,
}
