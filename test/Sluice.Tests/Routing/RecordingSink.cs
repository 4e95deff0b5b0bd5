using System.Text.Json;
using Sluice.Server.Auth;
using Sluice.Server.Routing;

namespace Sluice.Tests.Routing;

/// <summary>
/// A subscriber that records the frames the router queues to it, in order, as the bytes a client would receive: a
/// change queued to be serialized later is serialized as the connection's writer would send it.
/// </summary>
internal sealed class RecordingSink(ConnectionIdentity? identity = null) : ISubscriberSink
{
    private readonly List<byte[]> _frames = [];
    private readonly HashSet<byte[]> _binary = new(ReferenceEqualityComparer.Instance);

    public ConnectionIdentity Identity { get; } = identity ?? ConnectionIdentity.Anonymous("anon");

    public SubscriberState RouterState { get; } = new();

    /// <summary>Everything queued so far, in order.</summary>
    public IReadOnlyList<byte[]> Frames => _frames;

    public bool TryEnqueue(byte[] frame)
    {
        _frames.Add(frame);
        return true;
    }

    public bool TryEnqueue(FrameSource source, bool transactionEnd)
    {
        var frame = source.Frame(transactionEnd);
        _frames.Add(frame);
        if (source.Binary)
            _binary.Add(frame);
        return true;
    }

    public bool TryEnqueueBinary(byte[] frame)
    {
        _frames.Add(frame);
        _binary.Add(frame);
        return true;
    }

    /// <summary>Whether <paramref name="frame"/> (one of <see cref="Frames"/>) was queued as a binary message.</summary>
    public bool IsBinary(byte[] frame) => _binary.Contains(frame);

    /// <summary>The native frames queued so far: type, <c>payload.record.id</c> (changes), <c>tx_end</c> and <c>offset</c> of each.</summary>
    public List<(string Type, long? Id, bool TxEnd, string? Offset)> NativeFrames()
    {
        var frames = new List<(string, long?, bool, string?)>(_frames.Count);
        foreach (var bytes in _frames)
        {
            using var frame = JsonDocument.Parse(bytes);
            var root = frame.RootElement;
            long? id = root.TryGetProperty("payload", out var payload) ? payload.GetProperty("record").GetProperty("id").GetInt64() : null;
            frames.Add((root.GetProperty("type").GetString()!, id,
                root.TryGetProperty("tx_end", out var end) && end.GetBoolean(),
                root.TryGetProperty("offset", out var offset) ? offset.GetString() : null));
        }
        return frames;
    }
}
