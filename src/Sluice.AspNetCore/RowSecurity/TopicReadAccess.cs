namespace Sluice.Server.RowSecurity;

/// <summary>
/// What the SELECT policies on <c>realtime.messages</c> let a connection read on one topic, per extension: true or false
/// when probed, null for presence when it was not probed (the channel did not enable presence).
/// </summary>
internal readonly record struct TopicReadAccess(bool Broadcast, bool? Presence)
{
    /// <summary>Whether the connection may join the private channel at all: it may read broadcasts or presence.</summary>
    public bool MayJoin => Broadcast || Presence == true;
}
