using Sluice.Server.Capture;

namespace Sluice.Server.RowSecurity;

/// <summary>Changes of one table (all with <see cref="RowChange.Verdicts"/> required) to judge for each of <paramref name="Groups"/>.</summary>
internal sealed record TableCheck(uint RelationId, IReadOnlyList<RowChange> Changes, IReadOnlyList<AccessGroup> Groups);
