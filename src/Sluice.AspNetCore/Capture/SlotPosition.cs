namespace Sluice.Server.Capture;

/// <summary>Where the replication slot stands in the WAL.</summary>
/// <param name="ConfirmedFlushLsn">What Sluice has confirmed; decoding resumes with the first commit at or after it.</param>
/// <param name="LagBytes">WAL written since the confirmed position.</param>
/// <param name="RetainedWalBytes">WAL the slot keeps on disk (from its restart position).</param>
internal sealed record SlotPosition(ulong ConfirmedFlushLsn, long LagBytes, long RetainedWalBytes);
