namespace Sluice.Server.Capture;

/// <summary>
/// Decides when this process may stream from the replication slot. A single node always may
/// (<see cref="SingleNodeLease"/>); in a cluster only the leader may (<see cref="Cluster.AdvisoryLockLease"/>).
/// </summary>
internal interface ICaptureLease
{
    /// <summary>Waits until this process may capture; the token returned is cancelled when it no longer may.</summary>
    ValueTask<CancellationToken> AcquireAsync(CancellationToken cancellationToken);
}
