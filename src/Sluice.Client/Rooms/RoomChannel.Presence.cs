using System.Collections.Immutable;
using Sluice.Client.Channels;
using Sluice.Client.Protocol;
using Sluice.Client.Telemetry;
using Sluice.Protocol;

namespace Sluice.Client;

public sealed partial class RoomChannel
{
    private static readonly ImmutableDictionary<string, IReadOnlyList<PresenceEntry>> EmptyPresence =
        ImmutableDictionary.Create<string, IReadOnlyList<PresenceEntry>>(StringComparer.Ordinal);

    /// <summary>Serializes presence frames so the last one sent always carries the latest tracked state.</summary>
    private readonly SemaphoreSlim _presenceSend = new(1, 1);

    private ImmutableDictionary<string, IReadOnlyList<PresenceEntry>> _presence = EmptyPresence;

    /// <summary>What this client tracks in the room (re-tracked after every subscribe); guarded by the state's gate.</summary>
    private TrackedPresence? _tracked;

    /// <summary>The connection a tracked state was last sent on (0 for none); guarded by the state's gate.</summary>
    private long _presenceSentOn;

    /// <summary>
    /// The room's presence changed: a <c>presence_diff</c> arrived, or a <c>presence_state</c> (after every subscribe,
    /// so after every reconnect) replaced the view — then <see cref="PresenceChangedEventArgs.IsSync"/> is true and the
    /// joins and leaves are the difference to the previous view (raised for every <c>presence_state</c>, even when both are
    /// empty, so the first one tells that the view is known). A diff that changes nothing (a leave of an entry never seen)
    /// raises nothing. Raised on the room's dispatcher, in order with the
    /// messages. A throwing handler is reported through <see cref="SluiceClient.Error"/>.
    /// </summary>
    public event EventHandler<PresenceChangedEventArgs>? PresenceChanged;

    /// <summary>
    /// Everyone tracked in the room, as last told by the server: key → entries (one key may have several, e.g. the same
    /// user on two devices). An immutable version; read it once to hold one consistent view. Includes this client's own
    /// entry once the server reports it. Empty once the room is disposed.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<PresenceEntry>> Presence =>
        Volatile.Read(ref State.ClosedFlag) ? EmptyPresence : Volatile.Read(ref _presence);

    /// <summary>Whether this client tracks a presence in the room (<see cref="TrackAsync{T}"/> without a later <see cref="UntrackAsync"/>).</summary>
    public bool IsTracking
    {
        get
        {
            lock (State.Gate)
                return _tracked is not null;
        }
    }

    /// <summary>
    /// Tracks this client in the room with <paramref name="state"/>, or updates its state. The state is kept: it is sent
    /// now if the room is subscribed, else as soon as it is, and again after every reconnect, until
    /// <see cref="UntrackAsync"/> or disposal. Refusals (<c>payload_too_large</c>, <c>forbidden</c>, …) go to
    /// <see cref="SluiceClient.Error"/>.
    /// </summary>
    /// <typeparam name="T">The state type; it must serialize to a JSON object.</typeparam>
    /// <param name="state">The state, e.g. <c>new { name = "alice", status = "online" }</c>.</param>
    /// <param name="key">Names the entry (1–100 characters); default the token's <c>sub</c>, else the connection.</param>
    /// <param name="cancellationToken">Stops waiting for the send.</param>
    public async Task TrackAsync<T>(T state, string? key = null, CancellationToken cancellationToken = default)
    {
        if (key is not null && (key.Length == 0 || key.Length > RoomChannels.MaxPresenceKeyLength))
            throw new ArgumentException($"a presence key has 1 to {RoomChannels.MaxPresenceKeyLength} characters", nameof(key));
        var json = SerializeValue(state);
        if (!IsJsonObject(json))
            throw new ArgumentException("a presence state must serialize to a JSON object", nameof(state));
        lock (State.Gate)
        {
            ObjectDisposedException.ThrowIf(State.Closed, this);
            _tracked = new TrackedPresence(json, key);
        }
        await SendPresenceAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops tracking this client in the room (and stops re-tracking it after reconnects).</summary>
    /// <param name="cancellationToken">Stops waiting for the send.</param>
    public async Task UntrackAsync(CancellationToken cancellationToken = default)
    {
        lock (State.Gate)
            _tracked = null;
        await SendPresenceAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the tracked state (or the untrack) on the current connection if the room is subscribed there.</summary>
    internal async Task SendPresenceAsync(CancellationToken cancellationToken)
    {
        await _presenceSend.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var session = _client.CurrentSession;
            if (session is null)
                return;
            byte[]? frame = null;
            lock (State.Gate)
            {
                if (State.Closed || !IsSubscribedOn(session.Id))
                    return;
                if (_tracked is { } tracked)
                {
                    frame = ClientFrames.Presence(Channel, tracked.State, tracked.Key);
                    ClientLog.Tracking(_client.Logger, Channel, tracked.Key, _presenceSentOn != 0 && _presenceSentOn != session.Id);
                    _presenceSentOn = session.Id;
                }
                else if (_presenceSentOn == session.Id)
                {
                    frame = ClientFrames.Presence(Channel, null, null);
                    ClientLog.Untracking(_client.Logger, Channel);
                    _presenceSentOn = 0;
                }
            }
            if (frame is not null)
                await session.SendAsync(frame, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _presenceSend.Release();
        }
    }

    private void ApplyPresenceState(IReadOnlyList<PresenceEntry> presences)
    {
        var old = Volatile.Read(ref _presence);
        var leaves = new List<PresenceEntry>();
        foreach (var entries in old.Values)
        {
            foreach (var entry in entries)
            {
                if (!Contains(presences, entry))
                    leaves.Add(entry);
            }
        }
        var joins = new List<PresenceEntry>();
        foreach (var entry in presences)
        {
            if (!old.TryGetValue(entry.Key, out var same) || !Contains(same, entry))
                joins.Add(entry);
        }
        var builder = new Dictionary<string, List<PresenceEntry>>(StringComparer.Ordinal);
        foreach (var entry in presences)
        {
            if (!builder.TryGetValue(entry.Key, out var list))
                builder[entry.Key] = list = [];
            list.Add(entry);
        }
        var view = Freeze(builder);
        Volatile.Write(ref _presence, view);
        RaisePresenceChanged(new PresenceChangedEventArgs(joins, leaves, view, isSync: true));
    }

    private void ApplyPresenceDiff(IReadOnlyList<PresenceEntry> joins, IReadOnlyList<PresenceEntry> leaves)
    {
        var old = Volatile.Read(ref _presence);
        var builder = new Dictionary<string, List<PresenceEntry>>(StringComparer.Ordinal);
        foreach (var (key, entries) in old)
            builder[key] = [.. entries];
        var left = new List<PresenceEntry>();
        foreach (var leave in leaves)
        {
            if (Remove(builder, leave) is { } removed)
                left.Add(removed);
        }
        foreach (var join in joins)
        {
            // A join of an entry already held (same key and ref) is an update whose leave was not sent: the old one leaves.
            if (Remove(builder, join) is { } replaced)
                left.Add(replaced);
            if (!builder.TryGetValue(join.Key, out var list))
                builder[join.Key] = list = [];
            list.Add(join);
        }
        if (left.Count == 0 && joins.Count == 0)
            return;
        var view = Freeze(builder);
        Volatile.Write(ref _presence, view);
        RaisePresenceChanged(new PresenceChangedEventArgs(joins, left, view, isSync: false));
    }

    private void RaisePresenceChanged(PresenceChangedEventArgs args) =>
        Delivery.Raise(State, PresenceChanged, this, args,
            ex => _client.ReportError(ClientErrorCodes.HandlerFailed, $"a PresenceChanged handler of {Channel} threw: {ex.Message}", Channel, ex));

    private static PresenceEntry? Remove(Dictionary<string, List<PresenceEntry>> builder, PresenceEntry entry)
    {
        if (!builder.TryGetValue(entry.Key, out var list))
            return null;
        var index = list.FindIndex(e => e.Ref == entry.Ref);
        if (index < 0)
            return null;
        var removed = list[index];
        list.RemoveAt(index);
        if (list.Count == 0)
            builder.Remove(entry.Key);
        return removed;
    }

    private static bool Contains(IReadOnlyList<PresenceEntry> entries, PresenceEntry entry)
    {
        foreach (var candidate in entries)
        {
            if (candidate.SameAs(entry))
                return true;
        }
        return false;
    }

    private static ImmutableDictionary<string, IReadOnlyList<PresenceEntry>> Freeze(Dictionary<string, List<PresenceEntry>> builder)
    {
        var view = EmptyPresence.ToBuilder();
        foreach (var (key, list) in builder)
            view[key] = list.ToImmutableArray();
        return view.ToImmutable();
    }

    private static bool IsJsonObject(byte[] json)
    {
        foreach (var b in json)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                continue;
            return b == (byte)'{';
        }
        return false;
    }

    private sealed record TrackedPresence(byte[] State, string? Key);
}
