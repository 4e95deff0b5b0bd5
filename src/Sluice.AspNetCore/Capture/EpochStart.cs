using Sluice.Server.Log;

namespace Sluice.Server.Capture;

/// <summary>A recreated slot: the new log epoch and where the new slot starts.</summary>
internal sealed record EpochStart(LogEpoch Epoch, ulong ConfirmedFlushLsn);
