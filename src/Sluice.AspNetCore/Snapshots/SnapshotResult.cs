namespace Sluice.Server.Snapshots;

/// <summary>A finished table read: what it saw, and the last chunk of rows still to be sent.</summary>
internal sealed record SnapshotResult(SnapshotVisibility Visibility, SnapshotChunk FinalChunk, long RowCount);
