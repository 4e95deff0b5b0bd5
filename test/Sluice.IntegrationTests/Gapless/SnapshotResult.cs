using System.Text.Json;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>A complete snapshot as received: all rows, how many frames carried them, and the offset of the last frame.</summary>
public sealed record SnapshotResult(IReadOnlyList<JsonElement> Rows, int FrameCount, string Offset);
