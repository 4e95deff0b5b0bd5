using Sluice.Protocol;
using Sluice.Server.Connections;
using Sluice.Server.Log;
using Sluice.Server.Protocols.Native;

namespace Sluice.Server.Routing;

/// <summary>
/// How the router's frames for one subscription are written: the native protocol by default, another protocol
/// (Supabase's Phoenix frames) by a subclass. Subscriptions of one router channel share one format, so a change
/// is serialized once per channel and the bytes are shared by all its receivers.
/// </summary>
public class ChangeFrameFormat(int maxRecordBytes = RecordLimit.DefaultMaxRecordBytes)
{
    /// <summary>The native protocol (seed 003 plus additive fields), with the default maximum record size.</summary>
    public static ChangeFrameFormat Native { get; } = new();

    /// <summary>Records larger than this are sent reduced (see <see cref="RecordLimit"/>).</summary>
    public int MaxRecordBytes { get; } = maxRecordBytes;

    /// <summary>A change frame (see <see cref="NativeFrames.Change"/>).</summary>
    public virtual byte[] Change(string channel, LogEntry entry, bool transactionEnd, ChangeShape shape) =>
        NativeFrames.Change(channel, entry, transactionEnd, shape, MaxRecordBytes);

    /// <summary>
    /// About what a change frame of <paramref name="entry"/> will weigh in a connection's queue before it is serialized
    /// (catch-up frames are serialized by the writer): the reduced size for a record over the limit, not the record's.
    /// </summary>
    public virtual long EstimateBytes(LogEntry entry, ChangeShape shape) =>
        RecordLimit.IsTooLarge(entry.Change, shape, MaxRecordBytes) ? RecordLimit.ReducedBytes(entry.Change) : entry.Size;

    /// <summary>Queued when a live subscription starts, with the offset it starts after; null sends nothing.</summary>
    public virtual byte[]? Subscribed(string channel, string offset) => NativeFrames.Ack(channel, offset);

    /// <summary>Tells the client its subscription ended and needs a resync (history gone, claims changed, slot recreated).</summary>
    public virtual void ResyncRequired(ClientConnection connection, string channel, string reason) =>
        connection.TryEnqueue(NativeFrames.ResyncRequired(channel, reason));

    /// <summary>Tells the client about a problem with its subscription (<see cref="ErrorCodes"/>); <paramref name="ended"/> when it ended.</summary>
    public virtual void Error(ClientConnection connection, string channel, string code, string message, bool ended) =>
        connection.TryEnqueue(NativeFrames.Error(code, message, channel));
}
