using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>
/// A test replica of one table channel over a real WebSocket. It subscribes with a snapshot, applies the snapshot rows
/// and then every change (INSERT/UPDATE upsert by <c>id</c>, DELETE removes by <c>old_record.id</c>), and resumes with
/// <c>since</c> = its last offset after <see cref="Cut"/> or a dropped connection; on <c>resync_required</c> it starts
/// over with a snapshot. Instead of throwing from its receive loop it records <see cref="Violations"/>: an offset
/// received twice or out of order, a change before the snapshot ended, a row version that went backwards, and
/// (when <see cref="Strict"/>) a change that does not fit the replica's state: an INSERT of a row it holds, or an
/// UPDATE/DELETE whose <c>old_record.version</c> differs from the version it holds — the signature of a gap or a repeat.
/// </summary>
public sealed class ReplicaClient(string name, string channel, Func<Uri> url) : IAsyncDisposable
{
    /// <summary>How long a (re)connection may keep failing, e.g. while the server restarts; a hang guard.</summary>
    public static readonly TimeSpan ReconnectPatience = TimeSpan.FromSeconds(90);

    /// <summary>How long to wait for the server's answer to a subscribe, or for a condition; a hang guard.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private const int MaxViolations = 200;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, JsonElement> _rows = [];
    private readonly Dictionary<long, int> _highestVersion = [];
    private readonly HashSet<string> _offsets = new(StringComparer.Ordinal);
    private readonly List<string> _violations = [];
    private readonly List<ReplicaFrame> _applied = [];
    private Dictionary<long, JsonElement>? _snapshotRows;
    private string? _lastOffset;
    private string? _snapshotOffset;
    private ClientWebSocket? _socket;
    private Task _receiver = Task.CompletedTask;
    private TaskCompletionSource<JsonElement>? _reply;
    private Mode _mode;
    private Phase _phase;
    private int _session;
    private int _resyncs;
    private int _snapshots;
    private int _changes;

    private enum Mode { Live, Since, Snapshot }

    private enum Phase { Disconnected, AwaitingReply, Snapshotting, Live }

    public string Name { get; } = name;
    public string Channel { get; } = channel;

    /// <summary>Check that every change fits the replica's state (see the class summary). Off for filtered channels.</summary>
    public bool Strict { get; init; } = true;

    public string? Filter { get; init; }

    public string? LastOffset { get { lock (_gate) return _lastOffset; } }
    public string? SnapshotOffset { get { lock (_gate) return _snapshotOffset; } }
    public int Sessions { get { lock (_gate) return _session; } }
    public int Resyncs { get { lock (_gate) return _resyncs; } }
    public int Snapshots { get { lock (_gate) return _snapshots; } }
    public int ChangesApplied { get { lock (_gate) return _changes; } }
    public bool IsLive { get { lock (_gate) return _phase == Phase.Live; } }
    public bool IsConnected => !_receiver.IsCompleted;
    public IReadOnlyList<string> Violations { get { lock (_gate) return [.. _violations]; } }

    /// <summary>Every change and completed snapshot applied, in order.</summary>
    public IReadOnlyList<ReplicaFrame> Applied { get { lock (_gate) return [.. _applied]; } }

    public Dictionary<long, JsonElement> Rows() { lock (_gate) return new(_rows); }

    /// <summary>id → version of the rows held (-1 for a row without a version column).</summary>
    public Dictionary<long, int> Versions()
    {
        lock (_gate)
            return _rows.ToDictionary(pair => pair.Key, pair => VersionOf(pair.Value) ?? -1);
    }

    public bool Contains(long id) { lock (_gate) return _rows.ContainsKey(id); }

    public string Describe()
    {
        lock (_gate)
            return $"sessions {_session}, snapshots {_snapshots}, resyncs {_resyncs}, changes {_changes}, rows {_rows.Count}, "
                + $"phase {_phase}, last offset {_lastOffset ?? "none"}";
    }

    /// <summary>First connection: subscribes with a snapshot, or (<paramref name="snapshot"/> false, only for a table that
    /// is still empty) with a plain subscribe. Returns once the server acknowledged.</summary>
    public Task ConnectAsync(bool snapshot = true) => OpenAsync(snapshot ? Mode.Snapshot : Mode.Live);

    /// <summary>Drops the current connection (if any) and resubscribes: with <c>since</c> = the last offset, or with a
    /// snapshot when there is none yet. Retries while the server is unreachable. Returns once the server acknowledged.</summary>
    public Task ReconnectAsync() => OpenAsync(null);

    /// <summary>Reconnects if the connection was lost (server killed, slow-consumer close, …).</summary>
    public async Task EnsureConnectedAsync()
    {
        if (!IsConnected)
            await ReconnectAsync();
    }

    /// <summary>Aborts the socket at once, whatever is in flight.</summary>
    public void Cut()
    {
        lock (_gate)
            _socket?.Abort();
    }

    /// <summary>Waits (reconnecting whenever the connection is lost) until the replica holds row <paramref name="id"/>.</summary>
    public async Task CatchUpAsync(long id)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!Contains(id))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"replica {Name} did not receive row {id} within {Patience.TotalSeconds} s ({Describe()})");
            await EnsureConnectedAsync();
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; a hang guard, not a latency assertion.</summary>
    public async Task WaitUntilAsync(Func<ReplicaClient, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"replica {Name}: {what} not reached within {Patience.TotalSeconds} s ({Describe()})");
            await Task.Delay(20);
        }
    }

    private async Task OpenAsync(Mode? firstMode)
    {
        await DisconnectAsync();
        var deadline = DateTime.UtcNow + ReconnectPatience;
        Exception? lastFailure = null;
        while (true)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"replica {Name} could not resubscribe within {ReconnectPatience.TotalSeconds} s ({Describe()})", lastFailure);
            var socket = new ClientWebSocket();
            try
            {
                using var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.ConnectAsync(url(), connectTimeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
            {
                socket.Dispose();
                lastFailure = ex;
                await Task.Delay(100);
                continue;
            }

            int session;
            lock (_gate)
            {
                _socket = socket;
                session = ++_session;
                _phase = Phase.AwaitingReply;
            }
            _receiver = Task.Run(() => ReceiveLoopAsync(socket, session));
            var mode = firstMode ?? (LastOffset is null ? Mode.Snapshot : Mode.Since);
            var reply = await SubscribeAsync(socket, mode);
            if (reply is { } frame && Frames.Type(frame) == "resync_required")
            {
                if (mode == Mode.Snapshot)
                    throw new InvalidOperationException($"replica {Name}: a snapshot subscribe was answered with {frame}");
                reply = await SubscribeAsync(socket, Mode.Snapshot);
            }
            if (reply is null || IsRetryableError(reply.Value))
            {
                lastFailure = new InvalidOperationException($"connection lost before the subscription was acknowledged: {reply}");
                await DisconnectAsync();
                await Task.Delay(100);
                continue;
            }
            if (Frames.Type(reply.Value) != "ack")
                throw new InvalidOperationException($"replica {Name}: subscribe ({mode}) was answered with {reply.Value}");
            return;
        }
    }

    /// <summary>Sends the subscribe and returns the server's answer, or null when the connection ended first.</summary>
    private async Task<JsonElement?> SubscribeAsync(ClientWebSocket socket, Mode mode)
    {
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        string since;
        lock (_gate)
        {
            _reply = reply;
            _mode = mode;
            since = _lastOffset!;
        }
        var text = mode switch
        {
            Mode.Live => Frames.Subscribe(Channel, filter: Filter),
            Mode.Since => Frames.Subscribe(Channel, since: since, filter: Filter),
            _ => Frames.Subscribe(Channel, snapshot: true, filter: Filter),
        };
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            return null;
        }
        var finished = await Task.WhenAny(reply.Task, _receiver, Task.Delay(Patience));
        if (finished == reply.Task)
            return await reply.Task;
        if (finished == _receiver)
            return reply.Task.IsCompleted ? await reply.Task : null;
        throw new TimeoutException($"replica {Name}: no answer to subscribe ({mode}) within {Patience.TotalSeconds} s ({Describe()})");
    }

    private static bool IsRetryableError(JsonElement frame) =>
        Frames.Type(frame) == "error" && frame.TryGetProperty("code", out var code) && code.GetString() == "database_unavailable";

    private async Task DisconnectAsync()
    {
        Cut();
        try
        {
            await _receiver;
        }
        catch (Exception ex)
        {
            Violate($"receive loop failed: {ex}");
        }
        lock (_gate)
        {
            _socket?.Dispose();
            _socket = null;
            _phase = Phase.Disconnected;
            _snapshotRows = null;
            _reply = null;
        }
    }

    private async Task ReceiveLoopAsync(ClientWebSocket socket, int session)
    {
        var buffer = new Ref<byte[]>(new byte[256 * 1024]);
        try
        {
            while (await WebSocketMessages.ReceiveAsync(socket, buffer) is { } length)
            {
                JsonElement frame;
                try
                {
                    using var document = JsonDocument.Parse(buffer.Value.AsMemory(0, length));
                    frame = document.RootElement.Clone();
                }
                catch (JsonException ex)
                {
                    Violate($"session {session}: unparsable frame ({ex.Message})");
                    continue;
                }
                lock (_gate)
                {
                    try
                    {
                        Apply(frame, session);
                    }
                    catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
                    {
                        Violate($"session {session}: malformed frame {Shorten(frame)} ({ex.Message})");
                    }
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
        }
        lock (_gate)
        {
            if (_session == session)
                _phase = Phase.Disconnected;
        }
    }

    private void Apply(JsonElement frame, int session)
    {
        var type = Frames.Type(frame);
        if (type == "heartbeat")
            return;
        if (frame.TryGetProperty("channel", out var channel) && channel.GetString() != Channel)
        {
            Violate($"session {session}: frame for another channel {Shorten(frame)}");
            return;
        }
        switch (type)
        {
            case "ack":
            case "error":
            case "resync_required":
                if (_reply is null)
                {
                    Violate($"session {session}: unexpected {Shorten(frame)}");
                    return;
                }
                if (type == "ack")
                {
                    _phase = _mode == Mode.Snapshot ? Phase.Snapshotting : Phase.Live;
                    _snapshotRows = _mode == Mode.Snapshot ? [] : null;
                }
                else if (type == "resync_required")
                {
                    // Start over: nothing of the old stream may be mixed into what the snapshot brings.
                    _resyncs++;
                    _rows.Clear();
                    _offsets.Clear();
                    _lastOffset = null;
                    _phase = Phase.AwaitingReply;
                }
                var reply = _reply;
                _reply = null;
                reply.TrySetResult(frame);
                return;
            case "snapshot":
                ApplySnapshot(frame, session);
                return;
            case "broadcast":
                ApplyChange(frame, session);
                return;
            default:
                return;
        }
    }

    private void ApplySnapshot(JsonElement frame, int session)
    {
        if (_phase != Phase.Snapshotting || _snapshotRows is null)
        {
            Violate($"session {session}: snapshot frame while {_phase}: {Shorten(frame)}");
            return;
        }
        foreach (var row in frame.GetProperty("rows").EnumerateArray())
        {
            var id = row.GetProperty("id").GetInt64();
            if (!_snapshotRows.TryAdd(id, row))
                Violate($"session {session}: the snapshot holds id {id} twice");
        }
        if (!frame.GetProperty("last").GetBoolean())
            return;
        var offset = frame.TryGetProperty("offset", out var value) ? value.GetString() : null;
        if (string.IsNullOrEmpty(offset))
        {
            Violate($"session {session}: the last snapshot frame has no offset");
            offset = null;
        }
        _rows.Clear();
        foreach (var (id, row) in _snapshotRows)
        {
            CheckVersion(id, VersionOf(row), session, "snapshot");
            _rows.Add(id, row);
        }
        _applied.Add(new ReplicaFrame(session, "SNAPSHOT", _snapshotRows.Count, null, offset ?? "", true));
        _snapshotRows = null;
        _lastOffset = offset;
        _snapshotOffset = offset;
        _snapshots++;
        _phase = Phase.Live;
    }

    private void ApplyChange(JsonElement frame, int session)
    {
        if (_phase != Phase.Live)
        {
            Violate($"session {session}: change while {_phase}: {Shorten(frame)}");
            return;
        }
        var offset = Frames.Offset(frame);
        if (!_offsets.Add(offset))
            Violate($"session {session}: offset {offset} received twice");
        else if (_lastOffset is not null && string.CompareOrdinal(offset, _lastOffset) <= 0)
            Violate($"session {session}: offset {offset} arrived after {_lastOffset}");

        var kind = Frames.Kind(frame);
        var payload = frame.GetProperty("payload");
        long id;
        int? version = null;
        if (kind == "INSERT")
        {
            var record = payload.GetProperty("record");
            id = record.GetProperty("id").GetInt64();
            version = VersionOf(record);
            if (Strict && _rows.ContainsKey(id))
                Violate($"session {session}: INSERT of id {id} that the replica already holds (offset {offset})");
            CheckVersion(id, version, session, offset);
            _rows[id] = record;
        }
        else
        {
            var old = payload.GetProperty("old_record");
            var oldId = old.GetProperty("id").GetInt64();
            if (Strict)
            {
                if (!_rows.TryGetValue(oldId, out var held))
                    Violate($"session {session}: {kind} of id {oldId} that the replica does not hold (offset {offset})");
                else if (VersionOf(old) != VersionOf(held))
                    Violate($"session {session}: {kind} of id {oldId} from version {VersionOf(old)} but the replica holds version {VersionOf(held)} (offset {offset})");
            }
            _rows.Remove(oldId);
            id = oldId;
            if (kind == "UPDATE")
            {
                var record = payload.GetProperty("record");
                id = record.GetProperty("id").GetInt64();
                version = VersionOf(record);
                CheckVersion(id, version, session, offset);
                _rows[id] = record;
            }
        }
        _applied.Add(new ReplicaFrame(session, kind, id, version, offset, Frames.TxEnd(frame)));
        _lastOffset = offset;
        _changes++;
    }

    private void CheckVersion(long id, int? version, int session, string where)
    {
        if (version is not { } v)
            return;
        if (_highestVersion.TryGetValue(id, out var highest) && v < highest)
            Violate($"session {session}: id {id} went back from version {highest} to {v} ({where})");
        else
            _highestVersion[id] = v;
    }

    private static int? VersionOf(JsonElement row) =>
        row.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.Number ? version.GetInt32() : null;

    private void Violate(string problem)
    {
        lock (_gate)
        {
            if (_violations.Count < MaxViolations)
                _violations.Add($"{Name}: {problem}");
        }
    }

    private static string Shorten(JsonElement frame)
    {
        var text = frame.GetRawText();
        return text.Length <= 300 ? text : text[..300] + "…";
    }

    public async ValueTask DisposeAsync() => await DisconnectAsync();
}
