namespace Sluice.Server.Capture;

/// <summary>Without a cluster the one process always owns the slot.</summary>
internal sealed class SingleNodeLease : ICaptureLease
{
    public ValueTask<CancellationToken> AcquireAsync(CancellationToken cancellationToken) => ValueTask.FromResult(CancellationToken.None);
}
