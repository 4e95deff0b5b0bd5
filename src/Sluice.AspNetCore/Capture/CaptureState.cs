namespace Sluice.Server.Capture;

/// <summary>Where the replication stream stands.</summary>
internal enum CaptureState
{
    Starting,
    Streaming,
    Retrying,
    Stopped,

    /// <summary>A cluster node that is not the leader: another node captures, this one reads the change stream.</summary>
    Standby,
}
