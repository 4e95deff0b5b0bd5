using Microsoft.Extensions.Options;
using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Connections;

namespace Sluice.Server.Rooms;

/// <summary>
/// Every room of the server: its subscribers, presence and recent messages, under one lock of its own (room
/// state is separate from the table subscriptions of the router). Rooms emit protocol-neutral events (<see cref="RoomMessage"/>,
/// <see cref="PresenceDiff"/>, ...) to each member's <see cref="RoomMember"/>, which writes its protocol's frames; a shared
/// event is serialized once per protocol under the lock and the same bytes queued to every receiver of that protocol, so
/// each room's frames reach every connection in one order: offsets strictly increase and a presence diff never overtakes
/// the message published before it.
/// Rooms are created on first use and dropped once nobody is subscribed and their history has aged out; a closed
/// connection leaves nothing behind (<see cref="RemoveAll"/>).
/// </summary>
internal sealed class RoomRegistry : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<ClientConnection, HashSet<Room>> _memberships = [];
    private readonly Dictionary<ClientConnection, Dictionary<Room, ulong>> _paused = [];
    private readonly List<RoomMessage> _replay = [];
    private readonly List<Room> _idle = [];
    private readonly RoomOptions _options;
    private readonly TimeProvider _time;
    private readonly long _historyAgeTicks;
    private readonly ITimer _sweeper;
    private ulong _sequence;
    private long _nextPresenceRef;

    public RoomRegistry(IOptions<RoomOptions> options, TimeProvider? time = null)
    {
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _historyAgeTicks = (long)(_options.HistoryAge.TotalSeconds * _time.TimestampFrequency);
        Access = new RoomAccess(_options);
        var period = TimeSpan.FromTicks(Math.Clamp(_options.HistoryAge.Ticks / 2, TimeSpan.TicksPerSecond, 30 * TimeSpan.TicksPerSecond));
        _sweeper = _time.CreateTimer(static state => ((RoomRegistry)state!).Sweep(), this, period, period);
    }

    /// <summary>In a cluster, carries local messages and presence to the other nodes; null on a single node.</summary>
    public IRoomRelay? Relay { get; set; }

    /// <summary>This run's offset epoch.</summary>
    public string Epoch { get; } = RoomOffset.NewEpoch();

    /// <summary>The room settings.</summary>
    public RoomOptions Options => _options;

    /// <summary>The private-room rules.</summary>
    public RoomAccess Access { get; }

    /// <summary>Rooms currently held (with subscribers, presence or history).</summary>
    public int RoomCount
    {
        get
        {
            lock (_gate)
                return _rooms.Count;
        }
    }

    /// <summary>Connections subscribed to at least one room.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_gate)
                return _memberships.Count;
        }
    }

    /// <summary>Rooms <paramref name="connection"/> is subscribed to.</summary>
    public int SubscriptionCount(ClientConnection connection)
    {
        lock (_gate)
            return _memberships.TryGetValue(connection, out var rooms) ? rooms.Count : 0;
    }

    /// <summary>Whether <paramref name="connection"/> is subscribed to room <paramref name="name"/>.</summary>
    public bool IsSubscribed(ClientConnection connection, string name)
    {
        lock (_gate)
            return _rooms.TryGetValue(name, out var room) && room.Members.ContainsKey(connection);
    }

    /// <summary>
    /// Subscribes <paramref name="member"/>'s connection to its room and queues what its protocol confirms it with
    /// (<see cref="RoomMember.Subscribed"/>, <see cref="RoomMember.PresenceState"/>) and, with <paramref name="since"/>, the
    /// messages after it; then live messages. Subscribing again to a room replaces the member and keeps the connection's
    /// presence there.
    /// </summary>
    public RoomOutcome Subscribe(RoomMember member, string? since)
    {
        using var activity = Observability.SluiceTelemetry.Source.StartActivity(Observability.SluiceTelemetry.RoomJoinSpan);
        var outcome = SubscribeCore(member, since);
        if (activity is not null)
        {
            activity.SetTag(Observability.SluiceTelemetry.RoomTag, member.Room);
            activity.SetTag(Observability.SluiceTelemetry.ProtocolTag, member.Connection.Protocol.Name);
            activity.SetTag(Observability.SluiceTelemetry.ResumedTag, since is not null);
            activity.SetTag(Observability.SluiceTelemetry.OutcomeTag, Observability.SluiceTelemetry.OutcomeName(outcome));
        }
        return outcome;
    }

    private RoomOutcome SubscribeCore(RoomMember member, string? since)
    {
        ulong sinceSequence = 0;
        if (since is not null)
        {
            if (!RoomOffset.TryParse(since, out var epoch, out sinceSequence))
                return RoomOutcome.InvalidOffset;
            if (!string.Equals(epoch, Epoch, StringComparison.Ordinal))
                return RoomOutcome.OtherEpoch;
        }
        var connection = member.Connection;
        lock (_gate)
        {
            if (since is not null && sinceSequence > _sequence)
                return RoomOutcome.UnknownOffset;
            var room = GetOrCreateLocked(member.Room);
            PruneLocked(room);
            _replay.Clear();
            if (since is not null && !room.History.TryGetAfter(sinceSequence, _replay))
            {
                DropIfIdleLocked(room);
                return RoomOutcome.HistoryGone;
            }

            room.Members[connection] = member;
            if (!_memberships.TryGetValue(connection, out var rooms))
                _memberships[connection] = rooms = [];
            rooms.Add(room);
            // A subscribe that raced with the token's expiry: the frames below are queued, later ones wait for the refresh.
            if (_paused.TryGetValue(connection, out var positions))
                positions[room] = room.History.Last;

            if (member.Subscribed(since ?? RoomOffset.Format(Epoch, room.History.Last)) is { } subscribed)
                connection.TryEnqueue(subscribed);
            if (member.PresenceState(room.AllPresence) is { } presence)
                connection.TryEnqueue(presence);
            if (member.ReceivesMessages)
            {
                foreach (var message in _replay)
                    connection.TryEnqueue(member.Message(message));
            }
            _replay.Clear();
            return RoomOutcome.Ok;
        }
    }

    /// <summary>
    /// Removes the subscription (and the connection's presence there, with a leave for the others) and queues what its
    /// protocol confirms it with (<see cref="RoomMember.Unsubscribed"/>).
    /// </summary>
    public RoomOutcome Unsubscribe(ClientConnection connection, string name)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(name, out var room) || !room.Members.Remove(connection, out var member))
                return RoomOutcome.NotSubscribed;
            if (_memberships.TryGetValue(connection, out var rooms) && rooms.Remove(room) && rooms.Count == 0)
                _memberships.Remove(connection);
            if (member.Unsubscribed() is { } unsubscribed)
                connection.TryEnqueue(unsubscribed);
            LeaveLocked(room, connection);
            return RoomOutcome.Ok;
        }
    }

    /// <summary>
    /// Publishes a message into room <paramref name="name"/>: gives it the next offset, keeps it in the history and
    /// queues it to every subscriber (the sender only with <paramref name="self"/>), then the sender's
    /// <c>broadcast_ack</c> when <paramref name="ack"/>. A connection must be subscribed to publish;
    /// <paramref name="sender"/> null publishes for the server (<c>POST /api/broadcast</c>). With <paramref name="binary"/>
    /// (the sender published a binary message) members whose protocol has a binary form get it in that form.
    /// The room keeps <paramref name="payload"/> (in its history, serialized lazily per protocol): the caller hands it over
    /// and must not reuse its memory.
    /// </summary>
    public RoomOutcome Publish(ClientConnection? sender, string name, string eventName, ReadOnlyMemory<byte> payload,
        bool self, bool ack, string? reference, out string? offset, bool binary = false) =>
        Publish(sender, name, eventName, payload, self, ack, reference, relay: true, out offset, binary);

    /// <summary>A message published on another cluster node: delivered here with this node's next offset, not relayed back.</summary>
    public void PublishRemote(string name, string eventName, ReadOnlyMemory<byte> payload) =>
        Publish(null, name, eventName, payload, self: false, ack: false, reference: null, relay: false, out _, binary: false);

    private RoomOutcome Publish(ClientConnection? sender, string name, string eventName, ReadOnlyMemory<byte> payload,
        bool self, bool ack, string? reference, bool relay, out string? offset, bool binary)
    {
        offset = null;
        lock (_gate)
        {
            Room? room;
            if (sender is null)
                room = GetOrCreateLocked(name);
            else if (!_rooms.TryGetValue(name, out room) || !room.Members.ContainsKey(sender))
                return RoomOutcome.NotSubscribed;

            var sequence = ++_sequence;
            offset = RoomOffset.Format(Epoch, sequence);
            var message = new RoomMessage(name, offset, eventName, payload, binary);
            PruneLocked(room);
            room.History.Append(sequence, _time.GetTimestamp(), message);
            foreach (var (subscriber, member) in room.Members)
            {
                if ((!self && ReferenceEquals(subscriber, sender)) || IsPausedLocked(subscriber) || !member.ReceivesMessages)
                    continue;
                subscriber.TryEnqueue(member.Message(message));
            }
            if (sender is not null && ack && room.Members[sender].Published(offset, reference) is { } published)
                sender.TryEnqueue(published);
            if (relay)
                Relay?.Published(name, eventName, payload);
            DropIfIdleLocked(room);
            return RoomOutcome.Ok;
        }
    }

    /// <summary>
    /// Tracks or updates (<paramref name="state"/> a JSON object) or untracks (null) the connection's presence in
    /// room <paramref name="name"/>, and queues the <c>presence_diff</c> to every subscriber (the tracker too).
    /// </summary>
    public RoomOutcome Track(ClientConnection connection, string name, string key, byte[]? state)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(name, out var room) || !room.Members.ContainsKey(connection))
                return RoomOutcome.NotSubscribed;
            room.Presence.TryGetValue(connection, out var previous);
            PresenceEntry? entry = null;
            if (state is null)
            {
                if (previous is null)
                    return RoomOutcome.Ok;
                room.Presence.Remove(connection);
            }
            else
            {
                var reference = (++_nextPresenceRef).ToString(System.Globalization.CultureInfo.InvariantCulture);
                entry = new PresenceEntry(key, reference, state);
                room.Presence[connection] = entry;
            }
            FanOutDiffLocked(room, entry, previous);
            Relay?.PresenceChanged(name, entry, previous);
            return RoomOutcome.Ok;
        }
    }

    /// <summary>Removes a closing connection from every room it joined, with presence leaves for the others.</summary>
    public void RemoveAll(ClientConnection connection)
    {
        lock (_gate)
        {
            _paused.Remove(connection);
            if (!_memberships.Remove(connection, out var rooms))
                return;
            foreach (var room in rooms)
            {
                room.Members.Remove(connection);
                LeaveLocked(room, connection);
            }
        }
    }

    /// <summary>
    /// Stops delivering room frames to <paramref name="connection"/> (its token expired), remembering where each of
    /// its room subscriptions stands; <see cref="Reauthorize"/> continues from there.
    /// </summary>
    public void PauseDelivery(ClientConnection connection)
    {
        lock (_gate)
        {
            if (_paused.ContainsKey(connection))
                return;
            var positions = new Dictionary<Room, ulong>();
            if (_memberships.TryGetValue(connection, out var rooms))
            {
                // Every message up to the room's last was queued (fan-out runs under this lock).
                foreach (var room in rooms)
                    positions[room] = room.History.Last;
            }
            _paused[connection] = positions;
        }
    }

    /// <summary>
    /// The connection has a new identity (a refreshed token): each room subscription the new claims no longer admit
    /// ends with <c>forbidden</c>; if delivery was paused, each remaining one continues with a fresh
    /// <c>presence_state</c> and the messages published meanwhile (or ends with <c>resync_required</c> when they
    /// have left the history).
    /// </summary>
    public void Reauthorize(ClientConnection connection, ConnectionIdentity identity)
    {
        lock (_gate)
        {
            _paused.Remove(connection, out var positions);
            if (!_memberships.TryGetValue(connection, out var rooms))
                return;
            foreach (var room in rooms.ToArray())
            {
                var member = room.Members[connection];
                if (!Access.IsAllowed(identity, room.Name, RoomActions.Subscribe))
                {
                    if (member.Ended(ErrorCodes.Forbidden, "your refreshed token is not admitted to this private room; the subscription ended") is { } forbidden)
                        connection.TryEnqueue(forbidden);
                    EndSubscriptionLocked(room, connection, rooms);
                    continue;
                }
                if (positions is null)
                    continue;
                PruneLocked(room);
                _replay.Clear();
                if (!room.History.TryGetAfter(positions.GetValueOrDefault(room, room.History.Last), _replay))
                {
                    if (member.ResyncRequired("messages published while the token was expired have left the room's history; subscribe again") is { } resync)
                        connection.TryEnqueue(resync);
                    EndSubscriptionLocked(room, connection, rooms);
                    continue;
                }
                if (member.PresenceState(room.AllPresence) is { } presence)
                    connection.TryEnqueue(presence);
                if (member.ReceivesMessages)
                {
                    foreach (var message in _replay)
                        connection.TryEnqueue(member.Message(message));
                }
                _replay.Clear();
            }
            if (rooms.Count == 0)
                _memberships.Remove(connection);
        }
    }

    /// <summary>Ages out history and drops idle rooms; runs periodically.</summary>
    public void Sweep()
    {
        lock (_gate)
        {
            foreach (var room in _rooms.Values)
            {
                PruneLocked(room);
                if (room.IsIdle)
                    _idle.Add(room);
            }
            foreach (var room in _idle)
                _rooms.Remove(room.Name);
            _idle.Clear();
        }
    }

    private Room GetOrCreateLocked(string name)
    {
        if (!_rooms.TryGetValue(name, out var room))
        {
            // A new room's history starts at the current sequence: offsets issued before (by an earlier room of the
            // same name, since dropped) cannot be resumed here, so nothing is ever silently skipped.
            room = new Room(name, _options.HistoryMessages, _sequence);
            _rooms[name] = room;
        }
        return room;
    }

    private void PruneLocked(Room room) => room.History.PruneOlderThan(_time.GetTimestamp() - _historyAgeTicks);

    private void EndSubscriptionLocked(Room room, ClientConnection connection, HashSet<Room> rooms)
    {
        room.Members.Remove(connection);
        rooms.Remove(room);
        LeaveLocked(room, connection);
    }

    private void LeaveLocked(Room room, ClientConnection connection)
    {
        if (room.Presence.Remove(connection, out var previous))
        {
            FanOutDiffLocked(room, null, previous);
            Relay?.PresenceChanged(room.Name, null, previous);
        }
        DropIfIdleLocked(room);
    }

    /// <summary>
    /// Presence tracked (<paramref name="join"/>) and/or left (ref <paramref name="leaveRef"/>) by a connection on cluster node
    /// <paramref name="node"/>: kept in the room (so <c>presence_state</c> is the union over nodes) and diffed to local subscribers.
    /// </summary>
    public void ApplyRemotePresence(string node, string name, PresenceEntry? join, string? leaveRef)
    {
        lock (_gate)
        {
            var room = GetOrCreateLocked(name);
            PresenceEntry? left = null;
            if (leaveRef is not null)
                room.RemotePresence.Remove((node, leaveRef), out left);
            if (join is not null)
                room.RemotePresence[(node, join.Ref)] = join;
            if (join is not null || left is not null)
                FanOutDiffLocked(room, join, left);
            DropIfIdleLocked(room);
        }
    }

    /// <summary>Removes (with leave diffs) the presence of cluster nodes that are no longer alive.</summary>
    public void RemoveRemotePresence(Func<string, bool> isAlive)
    {
        lock (_gate)
        {
            foreach (var room in _rooms.Values)
            {
                if (room.RemotePresence.Count == 0)
                    continue;
                foreach (var (key, entry) in room.RemotePresence.ToArray())
                {
                    if (isAlive(key.Node))
                        continue;
                    room.RemotePresence.Remove(key);
                    FanOutDiffLocked(room, null, entry);
                }
                if (room.IsIdle)
                    _idle.Add(room);
            }
            foreach (var room in _idle)
                _rooms.Remove(room.Name);
            _idle.Clear();
        }
    }

    /// <summary>
    /// Replaces what this node holds of cluster node <paramref name="node"/>'s presence with <paramref name="entries"/> (its full
    /// state, read from Redis), with diffs for what changed.
    /// </summary>
    public void ReplaceRemotePresence(string node, IReadOnlyList<(string Room, PresenceEntry Entry)> entries)
    {
        var wanted = new HashSet<(string Room, string Ref)>();
        foreach (var (room, entry) in entries)
            wanted.Add((room, entry.Ref));
        lock (_gate)
        {
            foreach (var room in _rooms.Values)
            {
                if (room.RemotePresence.Count == 0)
                    continue;
                foreach (var (key, entry) in room.RemotePresence.ToArray())
                {
                    if (key.Node != node || wanted.Contains((room.Name, key.Ref)))
                        continue;
                    room.RemotePresence.Remove(key);
                    FanOutDiffLocked(room, null, entry);
                }
            }
            foreach (var (name, entry) in entries)
            {
                var room = GetOrCreateLocked(name);
                if (room.RemotePresence.TryAdd((node, entry.Ref), entry))
                    FanOutDiffLocked(room, entry, null);
            }
            foreach (var room in _rooms.Values)
            {
                if (room.IsIdle)
                    _idle.Add(room);
            }
            foreach (var room in _idle)
                _rooms.Remove(room.Name);
            _idle.Clear();
        }
    }

    /// <summary>The presence of this node's connections, by room: what the other nodes must know after Redis lost it.</summary>
    public List<(string Room, PresenceEntry Entry)> LocalPresence()
    {
        var entries = new List<(string, PresenceEntry)>();
        lock (_gate)
        {
            foreach (var room in _rooms.Values)
            {
                foreach (var entry in room.Presence.Values)
                    entries.Add((room.Name, entry));
            }
        }
        return entries;
    }

    /// <summary>Queues a presence diff to every subscriber, serialized at most once per protocol.</summary>
    private void FanOutDiffLocked(Room room, PresenceEntry? join, PresenceEntry? leave)
    {
        var diff = new PresenceDiff(room.Name, join, leave);
        foreach (var (subscriber, member) in room.Members)
        {
            if (IsPausedLocked(subscriber) || !member.ReceivesPresence)
                continue;
            subscriber.TryEnqueue(member.PresenceDiff(diff));
        }
    }

    private bool IsPausedLocked(ClientConnection connection) => _paused.Count != 0 && _paused.ContainsKey(connection);

    private void DropIfIdleLocked(Room room)
    {
        if (room.IsIdle)
            _rooms.Remove(room.Name);
    }

    public void Dispose() => _sweeper.Dispose();
}
