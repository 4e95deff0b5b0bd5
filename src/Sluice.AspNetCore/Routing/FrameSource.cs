using Sluice.Server.Log;

namespace Sluice.Server.Routing;

/// <summary>
/// One change as seen on one channel: serialized lazily, at most once per variant (with and without
/// <c>tx_end</c>), and the same bytes shared by every receiver of that <see cref="ChangeShape"/>.
/// </summary>
internal sealed class FrameSource(ChangeFrameFormat format, string channel, LogEntry entry, ChangeShape shape = ChangeShape.AsCaptured)
{
    private byte[]? _middle;
    private byte[]? _last;
    private bool? _binary;

    public LogEntry Entry { get; } = entry;

    /// <summary>The router channel the change is framed for.</summary>
    public string Channel => channel;

    /// <summary>The protocol's format the frame is written in.</summary>
    public ChangeFrameFormat Format => format;

    public ChangeShape Shape { get; } = shape;

    /// <summary>Sent as a binary WebSocket message (see <see cref="ChangeFrameFormat.IsBinary"/>).</summary>
    public bool Binary => _binary ??= format.IsBinary(Entry);

    /// <summary>The frame for one receiver (each call is one delivery, counted in the format's <see cref="ChangeFrameFormat.Metrics"/>).</summary>
    public byte[] Frame(bool transactionEnd)
    {
        format.Metrics?.Delivered();
        return transactionEnd
            ? _last ??= format.Change(channel, Entry, transactionEnd: true, Shape)
            : _middle ??= format.Change(channel, Entry, transactionEnd: false, Shape);
    }
}
