namespace Sluice.Client.Channels;

/// <summary>Where a channel stands on the current connection; decides which frames the reader accepts.</summary>
internal enum ChannelPhase
{
    /// <summary>Not subscribed on the current connection (not connected yet, or the connection was lost).</summary>
    Idle,
    /// <summary>A subscribe was sent; frames before its answer belong to an older subscription and are ignored.</summary>
    Pending,
    /// <summary>Acknowledged with a snapshot coming: collecting snapshot frames.</summary>
    Snapshotting,
    /// <summary>Changes are accepted.</summary>
    Live,
    /// <summary>The buffer overflowed: frames are ignored until the handlers catch up and the channel is resumed.</summary>
    Paused,
    /// <summary>The server refused the subscription (or ended it); retried on the next connection.</summary>
    Failed,
}
