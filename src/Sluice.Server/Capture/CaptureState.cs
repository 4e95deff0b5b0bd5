namespace Sluice.Server.Capture;

/// <summary>Where the replication stream stands.</summary>
public enum CaptureState
{
    Starting,
    Streaming,
    Retrying,
    Stopped,
}
