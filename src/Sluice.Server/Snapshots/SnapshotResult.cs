namespace Sluice.Server.Snapshots;

/// <summary>A finished table read: what it saw, and the last chunk of rows (a JSON array) still to be sent.</summary>
public sealed record SnapshotResult(SnapshotVisibility Visibility, ReadOnlyMemory<byte> FinalRows, long RowCount);
