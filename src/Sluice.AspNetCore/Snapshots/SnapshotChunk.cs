namespace Sluice.Server.Snapshots;

/// <summary>
/// Rows read by the snapshot reader, serialized as one JSON array, and which of them were reduced for being over the maximum
/// record size (empty when the reader was asked for whole rows, as <c>GET /rows</c> does, or none was over it).
/// </summary>
internal sealed record SnapshotChunk(ReadOnlyMemory<byte> Rows, IReadOnlyList<ReducedRow> ReducedRows);

/// <summary>A row at <paramref name="Index"/> of its chunk's array, sent with only its key columns and small values.</summary>
internal sealed record ReducedRow(int Index, IReadOnlyList<string> OmittedColumns);
