using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.IntegrationTests.RowSecurity.Chaos;

/// <summary>
/// One logical subscriber of a chaos run, on one protocol, with one token: subscribes to every chaos table and the control
/// table, gets cut at random moments and comes back — resuming each channel with <c>since</c> right after the last thing it
/// received there, or (native) starting over with a snapshot. Records everything it was sent with the moment it arrived,
/// and, per table, the offset ranges it was subscribed for without a break (the liveness oracle's domain).
/// </summary>
public sealed class ChaosSubscriber(string name, Wire wire, string? token, string group, Func<Uri> baseUrl)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly Lock _gate = new();
    private readonly List<ChaosDelivery> _received = [];
    private readonly Dictionary<string, string?> _last = [];
    private readonly Dictionary<string, List<(string From, string? To)>> _segments = [];
    private readonly Dictionary<string, DateTime> _snapshotRequested = [];
    private readonly Dictionary<string, HashSet<long>> _snapshotArriving = [];
    private readonly Dictionary<(string Channel, string From), HashSet<long>> _snapshotVersions = [];
    private StampedSocket? _socket;
    private Task _pump = Task.CompletedTask;
    private TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pendingAcks;
    private int _refs;
    private string? _markerOffset;
    private DateTime _markerAt;
    private readonly TaskCompletionSource _marker = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _markerSeq = -1;

    public string Name { get; } = name;
    public Wire Wire { get; } = wire;

    /// <summary>Subscribers of one group see exactly the same rows: the role and claims.</summary>
    public string Group { get; } = group;

    public int Cuts { get; private set; }

    public IReadOnlyList<ChaosDelivery> Received
    {
        get
        {
            lock (_gate)
                return [.. _received];
        }
    }

    /// <summary>Per table: the offset ranges (exclusive from, inclusive to) covered without a break.</summary>
    public IReadOnlyDictionary<string, List<(string From, string? To)>> Segments => _segments;

    /// <summary>
    /// The row versions of each snapshot, by the segment it started (channel and the snapshot's offset): a transaction the
    /// snapshot already contains is not sent again, even when it follows the snapshot's offset in the log (PostgreSQL may
    /// make a transaction visible before one that committed earlier in the WAL).
    /// </summary>
    public IReadOnlyDictionary<(string Channel, string From), HashSet<long>> SnapshotVersions => _snapshotVersions;

    public DateTime MarkerAt => _markerAt;

    /// <summary>Problems of the run itself (not of what was delivered): a refusal, a resync, a lost connection.</summary>
    public List<string> Problems { get; } = [];

    private static IEnumerable<string> Channels => ChaosWorld.Tables.Select(t => t.Name).Append(ChaosWorld.ControlTable);

    /// <summary>Connects and subscribes (native: data tables with a snapshot); completes once every channel answered.</summary>
    public Task StartAsync() => ConnectAsync(resume: false);

    /// <summary>Cuts the connection at once and comes back: resuming with <c>since</c>, or (native, sometimes) with a snapshot.</summary>
    public async Task CutAndReturnAsync(bool withSnapshot)
    {
        Cuts++;
        _socket!.Cut();
        await _pump;
        await _socket.DisposeAsync();
        await ConnectAsync(resume: !withSnapshot);
    }

    /// <summary>Waits until the control row <paramref name="seq"/> (the end marker) arrived: everything committed before it has been sent.</summary>
    public async Task WaitForMarkerAsync(int seq)
    {
        lock (_gate)
        {
            _markerSeq = seq;
            foreach (var delivery in _received)
                CheckMarker(delivery);
        }
        await _marker.Task.WaitAsync(Patience);
        lock (_gate)
        {
            foreach (var channel in Channels)
            {
                if (_segments.TryGetValue(channel, out var segments) && segments.Count > 0)
                    segments[^1] = (segments[^1].From, _markerOffset);
            }
        }
        _socket!.Cut();
        await _pump;
        await _socket.DisposeAsync();
    }

    private async Task ConnectAsync(bool resume)
    {
        var url = baseUrl();
        var authority = url.Authority;
        _socket = Wire == Wire.Native
            ? await StampedSocket.ConnectAsync(new Uri($"ws://{authority}/realtime" + (token is null ? "" : "?token=" + Uri.EscapeDataString(token))))
            : await StampedSocket.ConnectAsync(new Uri($"ws://{authority}/realtime/v1/websocket?vsn=2.0.0&apikey={Uri.EscapeDataString(token ?? "sb_publishable_chaos")}"));
        _subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var socket = _socket;
        _pump = Task.Run(() => PumpAsync(socket));

        var since = new Dictionary<string, string?>();
        foreach (var channel in Channels)
        {
            lock (_gate)
            {
                var last = _last.GetValueOrDefault(channel);
                if (resume && last is not null)
                {
                    since[channel] = last;
                }
                else
                {
                    // A fresh start: the previous range (if any) ends where it was last seen; a new one starts at the ack.
                    if (_segments.TryGetValue(channel, out var segments) && segments.Count > 0 && segments[^1].To is null)
                        segments[^1] = (segments[^1].From, last);
                    since[channel] = null;
                    _last[channel] = null;
                }
            }
        }

        if (Wire == Wire.Native)
        {
            _pendingAcks = since.Count;
            foreach (var (channel, from) in since)
            {
                var frame = new JsonObject { ["type"] = "subscribe", ["channel"] = "table:public." + channel };
                if (from is not null)
                    frame["since"] = from;
                else if (channel != ChaosWorld.ControlTable)
                {
                    frame["snapshot"] = true;
                    lock (_gate)
                    {
                        _snapshotRequested[channel] = DateTime.UtcNow;
                        _snapshotArriving[channel] = [];
                    }
                }
                await socket.SendAsync(frame.ToJsonString());
            }
        }
        else
        {
            var bindings = new JsonArray();
            foreach (var (channel, from) in since)
            {
                var binding = new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = channel };
                if (from is not null)
                    binding["since"] = from;
                bindings.Add(binding);
            }
            var joinRef = NextRef();
            _pendingAcks = 1;
            var payload = new JsonObject
            {
                ["config"] = new JsonObject { ["presence"] = new JsonObject { ["enabled"] = false }, ["postgres_changes"] = bindings },
            };
            await socket.SendAsync(new JsonArray(joinRef, joinRef, $"realtime:{Name}", "phx_join", payload).ToJsonString());
            _ = HeartbeatAsync(socket);
        }
        await _subscribed.Task.WaitAsync(Patience);
    }

    private string NextRef() => Interlocked.Increment(ref _refs).ToString(CultureInfo.InvariantCulture);

    /// <summary>Supabase clients send a heartbeat every 25 s; the server closes sockets that stay silent for a minute.</summary>
    private async Task HeartbeatAsync(StampedSocket socket)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(15));
                await socket.SendAsync(new JsonArray(null, NextRef(), "phoenix", "heartbeat", new JsonObject()).ToJsonString());
            }
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection was cut.
        }
    }

    private async Task PumpAsync(StampedSocket socket)
    {
        using var never = new CancellationTokenSource();
        while (await socket.NextAsync(never.Token) is var (at, frame))
        {
            lock (_gate)
            {
                if (Wire == Wire.Native)
                    HandleNative(at, frame);
                else
                    HandleSupabase(at, frame);
            }
        }
    }

    private void HandleNative(DateTime at, JsonElement frame)
    {
        var type = frame.GetProperty("type").GetString();
        var channel = frame.TryGetProperty("channel", out var c) ? c.GetString()?.Replace("table:public.", "", StringComparison.Ordinal) : null;
        switch (type)
        {
            case "ack":
                if (frame.TryGetProperty("offset", out var ackOffset))
                    StartSegment(channel!, ackOffset.GetString()!);
                Acked();
                break;
            case "snapshot":
                foreach (var row in frame.GetProperty("rows").EnumerateArray())
                {
                    Record(new ChaosDelivery(ChaosDeliveryKind.SnapshotRow, at, channel, "SNAPSHOT", row.Clone(), null, null, null) { RequestedAt = _snapshotRequested[channel!] });
                    if (ChaosDelivery.Version(row) is { } version)
                        _snapshotArriving[channel!].Add(version);
                }
                if (frame.GetProperty("last").GetBoolean())
                {
                    var snapshotOffset = frame.GetProperty("offset").GetString()!;
                    _snapshotVersions[(channel!, snapshotOffset)] = _snapshotArriving[channel!];
                    StartSegment(channel!, snapshotOffset);
                }
                break;
            case "broadcast":
                var payload = frame.GetProperty("payload");
                var offset = frame.GetProperty("offset").GetString()!;
                Record(new ChaosDelivery(ChaosDeliveryKind.Change, at, channel, payload.GetProperty("type").GetString(),
                    payload.TryGetProperty("record", out var record) ? record.Clone() : null,
                    payload.TryGetProperty("old_record", out var old) ? old.Clone() : null,
                    offset, DateTime.Parse(frame.GetProperty("commit_timestamp").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)));
                break;
            case "error":
                var code = frame.GetProperty("code").GetString();
                if (code == Sluice.Protocol.ErrorCodes.AccessCheckFailed)
                {
                    Withheld(at, channel, frame.GetProperty("error").GetString()!);
                    break;
                }
                // Any other error refuses or ends a subscription: a problem of the run.
                Problems.Add($"{Name}: error {frame.GetRawText()}");
                if (_pendingAcks > 0)
                    Acked();
                break;
            case "heartbeat":
                break;
            default:
                Problems.Add($"{Name}: unexpected {frame.GetRawText()}");
                break;
        }
    }

    private void HandleSupabase(DateTime at, JsonElement frame)
    {
        var joinRef = frame[0].GetString();
        var reference = frame[1].GetString();
        var eventName = frame[3].GetString();
        var payload = frame[4];
        switch (eventName)
        {
            case "phx_reply" when reference == joinRef && joinRef is not null:
                if (payload.GetProperty("status").GetString() != "ok")
                {
                    Problems.Add($"{Name}: join refused {frame.GetRawText()}");
                    _subscribed.TrySetException(new InvalidOperationException($"{Name}: join refused {frame.GetRawText()}"));
                    return;
                }
                foreach (var binding in payload.GetProperty("response").GetProperty("postgres_changes").EnumerateArray())
                {
                    var table = binding.GetProperty("table").GetString()!;
                    if (!binding.TryGetProperty("since", out _))
                        StartSegment(table, binding.GetProperty("offset").GetString()!);
                }
                Acked();
                break;
            case "postgres_changes":
                var data = payload.GetProperty("data");
                var old = data.TryGetProperty("old_record", out var oldRecord) && oldRecord.ValueKind == JsonValueKind.Object && oldRecord.EnumerateObject().Any()
                    ? oldRecord.Clone() : (JsonElement?)null;
                Record(new ChaosDelivery(ChaosDeliveryKind.Change, at, data.GetProperty("table").GetString(), data.GetProperty("type").GetString(),
                    data.TryGetProperty("record", out var record) ? record.Clone() : null, old, data.GetProperty("offset").GetString(),
                    DateTime.Parse(data.GetProperty("commit_timestamp").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)));
                break;
            case "system" when payload.TryGetProperty("status", out var status) && status.GetString() == "error":
                var message = payload.GetProperty("message").GetString() ?? "";
                if (message.StartsWith(Sluice.Protocol.ErrorCodes.AccessCheckFailed, StringComparison.Ordinal))
                    Withheld(at, null, message);
                else
                    Problems.Add($"{Name}: {frame.GetRawText()}");
                break;
            case "phx_error" or "phx_close":
                Problems.Add($"{Name}: {frame.GetRawText()}");
                break;
        }
    }

    private void Acked()
    {
        if (--_pendingAcks <= 0)
            _subscribed.TrySetResult();
    }

    private void StartSegment(string channel, string offset)
    {
        if (!_segments.TryGetValue(channel, out var segments))
            _segments[channel] = segments = [];
        segments.Add((offset, null));
        _last[channel] = offset;
    }

    private void Record(ChaosDelivery delivery)
    {
        _received.Add(delivery);
        if (delivery.Offset is not null && delivery.Table is not null)
            _last[delivery.Table] = delivery.Offset;
        CheckMarker(delivery);
    }

    /// <summary>An <c>access_check_failed</c> names the offset from which the transaction's changes are withheld.</summary>
    private void Withheld(DateTime at, string? channel, string message)
    {
        var from = message.IndexOf("offset ", StringComparison.Ordinal);
        var offset = from < 0 ? null : message.Substring(from + 7, Sluice.Server.Log.ChangeOffset.TextLength);
        _received.Add(new ChaosDelivery(ChaosDeliveryKind.Withheld, at, channel, message, null, null, offset, null));
    }

    private void CheckMarker(ChaosDelivery delivery)
    {
        if (_markerSeq >= 0 && delivery.Kind == ChaosDeliveryKind.Change && delivery.Table == ChaosWorld.ControlTable
            && delivery.Record is { } record && record.GetProperty("seq").GetInt32() == _markerSeq)
        {
            _markerOffset = delivery.Offset;
            _markerAt = delivery.At;
            _marker.TrySetResult();
        }
    }
}
