using System.Text.Json;
using Sluice.Server.Auth;
using Sluice.Server.Routing;

namespace Sluice.Tests.Routing;

/// <summary>
/// A subscriber that records the frames the router queues to it, in order, as the bytes a client would receive: a
/// change queued to be serialized later is serialized as the connection's writer would send it. With a
/// <see cref="LiveCapacity"/> it plays a connection whose queue fills: past that many live frames since the last
/// <see cref="Drain"/> it answers <see cref="LiveDelivery.Behind"/>.
/// </summary>
internal sealed class RecordingSink(ConnectionIdentity? identity = null) : ISubscriberSink
{
    private readonly List<byte[]> _frames = [];
    private readonly HashSet<byte[]> _binary = new(ReferenceEqualityComparer.Instance);
    private int _liveSinceDrain;
    private Action<ISubscriberSink>? _whenDrained;

    /// <summary>Live frames the queue takes between two <see cref="Drain"/>s; null for no limit.</summary>
    public int? LiveCapacity { get; set; }

    /// <summary>How many times a live frame was refused with <see cref="LiveDelivery.Behind"/>.</summary>
    public int FellBehind { get; private set; }

    /// <summary>Whether the router asked to be called back once the queue has drained.</summary>
    public bool WaitsForDrain => _whenDrained is not null;

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

    public LiveDelivery TryEnqueueLive(byte[] frame, bool binary)
    {
        if (_liveSinceDrain >= LiveCapacity)
        {
            FellBehind++;
            return LiveDelivery.Behind;
        }
        _liveSinceDrain++;
        _frames.Add(frame);
        if (binary)
            _binary.Add(frame);
        return LiveDelivery.Queued;
    }

    public void WhenDrained(Action<ISubscriberSink> catchUp)
    {
        Assert.Null(_whenDrained);
        _whenDrained = catchUp;
    }

    /// <summary>The queue has been sent: counts start over, and a catch-up the router asked for runs (as the drainer would run it).</summary>
    public void Drain()
    {
        _liveSinceDrain = 0;
        var catchUp = _whenDrained;
        _whenDrained = null;
        catchUp?.Invoke(this);
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
