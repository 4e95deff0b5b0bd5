namespace Sluice.IntegrationTests.Gapless;

/// <summary>
/// One frame a <see cref="ReplicaClient"/> applied: a change (INSERT, UPDATE, DELETE; <c>Id</c> is the row id) or a
/// completed SNAPSHOT (<c>Id</c> is its row count). <c>Session</c> counts the replica's connections from 1.
/// </summary>
public sealed record ReplicaFrame(int Session, string Kind, long Id, int? Version, string Offset, bool TxEnd);
