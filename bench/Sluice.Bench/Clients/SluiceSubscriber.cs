using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Sluice.Bench.Clients;

/// <summary>
/// One native-protocol subscriber of one channel: counts change frames into a shared
/// <see cref="DeliveryCounter"/>, optionally records latency, keeps frames, counts snapshot rows.
/// </summary>
public sealed class SluiceSubscriber : IAsyncDisposable
{
    private readonly TaskCompletionSource<string> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _lastOffset = new byte[64];
    private int _lastOffsetLength;
    private WsClient? _client;

    private SluiceSubscriber(DeliveryCounter counter) => Counter = counter;

    public DeliveryCounter Counter { get; set; }

    /// <summary>When set, every change's <c>sent_ticks</c> → now latency is recorded here.</summary>
    public LatencyRecorder? Latency { get; init; }

    /// <summary>Keep the text of up to this many change frames (payloads for the SignalR baselines).</summary>
    public int KeepFrames { get; init; }

    public List<string> Frames { get; } = [];

    /// <summary>The offset of the last change frame (kept as bytes per message, decoded when asked: no allocation per frame).</summary>
    public string? LastOffset => _lastOffsetLength == 0 ? null : Encoding.UTF8.GetString(_lastOffset, 0, _lastOffsetLength);

    /// <summary>Snapshot rows received; <see cref="Counter"/> counts rows (not frames) of snapshot frames.</summary>
    public long SnapshotRows { get; private set; }

    public static async Task<SluiceSubscriber> ConnectAsync(
        Uri uri, DeliveryCounter counter, LatencyRecorder? latency = null, int keepFrames = 0)
    {
        var subscriber = new SluiceSubscriber(counter) { Latency = latency, KeepFrames = keepFrames };
        subscriber._client = await WsClient.ConnectAsync(uri, subscriber.OnMessage);
        return subscriber;
    }

    /// <summary>Sends a subscribe frame and waits for the ack (fails on error or resync_required).</summary>
    public async Task SubscribeAsync(string subscribeFrame)
    {
        await _client!.SendAsync(subscribeFrame);
        var reply = await _reply.Task.WaitAsync(TimeSpan.FromSeconds(60));
        if (reply != "ack")
            throw new InvalidOperationException($"subscribe failed: {reply}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
            await _client.DisposeAsync();
    }

    private void OnMessage(ReadOnlySpan<byte> message)
    {
        if (FrameScan.IsType(message, SluiceFrames.Broadcast))
        {
            if (Latency is not null && FrameScan.Long(message, SluiceFrames.SentTicks) is { } sent)
                Latency.Record(Stopwatch.GetTimestamp() - sent);
            if (Frames.Count < KeepFrames)
                Frames.Add(Encoding.UTF8.GetString(message));
            KeepOffset(FrameScan.Quoted(message, SluiceFrames.Offset));
            Counter.Add();
        }
        else if (FrameScan.IsType(message, SluiceFrames.Changes))
        {
            // Replayed changes, each element a whole broadcast frame: count them and keep the last one's offset.
            KeepOffset(FrameScan.LastQuoted(message, SluiceFrames.Offset));
            Counter.Add(FrameScan.Count(message, SluiceFrames.Broadcast));
        }
        else if (FrameScan.IsType(message, SluiceFrames.Snapshot))
        {
            using var document = JsonDocument.Parse(message.ToArray());
            var rows = document.RootElement.GetProperty("rows").GetArrayLength();
            SnapshotRows += rows;
            Counter.Add(rows);
        }
        else if (FrameScan.IsType(message, SluiceFrames.Ack))
        {
            _reply.TrySetResult("ack");
        }
        else if (FrameScan.IsType(message, SluiceFrames.Error) || FrameScan.IsType(message, SluiceFrames.Resync))
        {
            _reply.TrySetResult(Encoding.UTF8.GetString(message));
        }
    }

    /// <summary>Keeps <paramref name="offset"/> as the last one (copied into a fixed buffer: no allocation per frame).</summary>
    private void KeepOffset(ReadOnlySpan<byte> offset)
    {
        if (offset.Length > _lastOffset.Length)
            return;
        offset.CopyTo(_lastOffset);
        _lastOffsetLength = offset.Length;
    }
}
