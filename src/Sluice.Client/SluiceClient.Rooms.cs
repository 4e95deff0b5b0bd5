using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Sluice.Client.Channels;
using Sluice.Client.Connection;
using Sluice.Client.Protocol;
using Sluice.Client.Telemetry;
using Sluice.Protocol;

namespace Sluice.Client;

public sealed partial class SluiceClient
{
    /// <summary>Broadcasts sent with <c>ack: true</c> and not answered yet, by <c>ref</c>.</summary>
    private readonly ConcurrentDictionary<string, PendingBroadcast> _pendingBroadcasts = new(StringComparer.Ordinal);

    private long _broadcastRefs;

    /// <summary>
    /// Joins a room (channel <c>room:&lt;name&gt;</c>): broadcast messages and presence for anything that is not a
    /// table. Register handlers and track presence on the result; dispose it to leave. One client holds one
    /// subscription per room.
    /// </summary>
    /// <param name="name">The room's name without the prefix: 1–200 characters from <c>A–Z a–z 0–9 _ - . : @</c>, e.g. <c>lobby</c>.</param>
    /// <exception cref="ArgumentException">The name is not a valid room name.</exception>
    /// <exception cref="InvalidOperationException">This client already has that room.</exception>
    public RoomChannel Room(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!RoomChannels.IsValidName(name, out var error))
            throw new ArgumentException(
                $"'{name}' is not a room name: {error} (1 to {RoomChannels.MaxNameLength} characters from A-Z a-z 0-9 _ - . : @)", nameof(name));
        var room = new RoomChannel(this, name, _serializer);
        room.State = Register(room.Channel, ChangeEvents.All, filter: null, wantsSnapshot: false, room, isRoom: true);
        return room;
    }

    internal SocketSession? CurrentSession => Volatile.Read(ref _session);

    internal ILogger Logger => _logger;

    /// <summary>Sends a room broadcast once the room is subscribed; with ack, waits for the server's answer.</summary>
    internal async Task<string?> PublishAsync(RoomChannel room, string @event, byte[] payload, BroadcastOptions options, CancellationToken cancellationToken)
    {
        using var activity = ClientTelemetry.ActivitySource.StartActivity("sluice.broadcast", ActivityKind.Producer);
        activity?.SetTag("sluice.channel", room.Channel);
        activity?.SetTag("sluice.event", @event);
        try
        {
            SocketSession? session;
            while (true)
            {
                await room.WaitUntilSubscribedAsync(cancellationToken).ConfigureAwait(false);
                session = CurrentSession;
                if (session is null)
                    continue;
                lock (room.State.Gate)
                {
                    if (room.IsSubscribedOn(session.Id))
                        break;
                }
            }
            var reference = "b" + Interlocked.Increment(ref _broadcastRefs).ToString(System.Globalization.CultureInfo.InvariantCulture);
            PendingBroadcast? pending = null;
            if (options.Ack)
            {
                pending = new PendingBroadcast(room.Channel, session.Id);
                _pendingBroadcasts[reference] = pending;
                // The connection may have ended between the check and the registration.
                if (CurrentSession != session)
                    FailPendingBroadcasts(session.Id);
            }
            var frame = ClientFrames.Broadcast(room.Channel, @event, payload, options.Self, options.Ack, reference);
            if (!await session.SendAsync(frame, cancellationToken).ConfigureAwait(false))
            {
                _pendingBroadcasts.TryRemove(reference, out _);
                cancellationToken.ThrowIfCancellationRequested();
                throw new SluiceException(ClientErrorCodes.ConnectionLost, $"the connection was lost before the broadcast to {room.Channel} could be sent");
            }
            _telemetry.Broadcasts.Add(1);
            if (pending is null)
                return null;
            try
            {
                return await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _pendingBroadcasts.TryRemove(reference, out _);
            }
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            if (ex is SluiceException refused)
                ClientLog.BroadcastFailed(_logger, room.Channel, refused.Code, refused.Message);
            throw;
        }
    }

    /// <summary>A frame carrying a <c>ref</c> answers a broadcast: an ack or a refusal. Returns whether it was one.</summary>
    private bool HandleBroadcastReply(ServerFrame frame, string reference)
    {
        if (frame.Type == FrameTypes.BroadcastAck)
        {
            if (_pendingBroadcasts.TryRemove(reference, out var acked))
            {
                if (frame.Offset is { } offset)
                    acked.Answer.TrySetResult(offset);
                else
                    acked.Answer.TrySetException(new SluiceException(ClientErrorCodes.InvalidFrame, "broadcast_ack without an offset"));
            }
            return true;
        }
        if (frame.Type != FrameTypes.Error)
            return false;
        var code = frame.Code ?? ErrorCodes.InternalError;
        var message = frame.Error ?? "";
        if (_pendingBroadcasts.TryRemove(reference, out var refused))
            refused.Answer.TrySetException(new SluiceException(code, $"the broadcast to {refused.Channel} was refused: {message}"));
        else
            // A broadcast sent without ack (or whose caller stopped waiting) was refused: nobody awaits it.
            ReportError(code, $"a broadcast was refused: {message}", frame.Channel);
        return true;
    }

    /// <summary>The connection ended: whether its unanswered broadcasts were published is unknown.</summary>
    private void FailPendingBroadcasts(long sessionId)
    {
        var lost = 0;
        foreach (var (reference, pending) in _pendingBroadcasts)
        {
            if (pending.SessionId != sessionId || !_pendingBroadcasts.TryRemove(new KeyValuePair<string, PendingBroadcast>(reference, pending)))
                continue;
            lost++;
            pending.Answer.TrySetException(new SluiceException(ClientErrorCodes.ConnectionLost,
                $"the connection was lost before the server acknowledged the broadcast to {pending.Channel}; it may or may not have been published"));
        }
        if (lost > 0)
            ClientLog.BroadcastsUnacknowledged(_logger, lost);
    }

    private void AcceptRoomMessage(ChannelState state, ServerFrame frame) =>
        AcceptRoomItem(state, frame, "room message", static frame =>
        {
            var message = frame.ToRoomMessage();
            return (new RoomMessageItem(message), message.Offset);
        }, database: false);

    /// <summary>Buffers a room's database broadcast unless it is not after the room's database position (a replay seen already).</summary>
    private void AcceptDatabaseBroadcast(ChannelState state, ServerFrame frame) =>
        AcceptRoomItem(state, frame, "database broadcast", static frame =>
        {
            var broadcast = frame.ToDatabaseBroadcast();
            return (new DatabaseBroadcastItem(broadcast), broadcast.Offset);
        }, database: true);

    /// <summary>
    /// Buffers what <paramref name="read"/> makes of a room's frame unless it is not after the room's position: its own
    /// (<see cref="ChannelState.LastOffset"/>) or, for a database broadcast, its database one
    /// (<see cref="ChannelState.LastDatabaseOffset"/>), which then moves to it. A frame that cannot be read is reported and skipped.
    /// </summary>
    private void AcceptRoomItem(ChannelState state, ServerFrame frame, string what, Func<ServerFrame, (ChannelItem Item, string Offset)> read, bool database)
    {
        ChannelItem item;
        string offset;
        try
        {
            (item, offset) = read(frame);
        }
        catch (FormatException ex)
        {
            ClientLog.InvalidFrame(_logger, ex);
            ReportError(ClientErrorCodes.InvalidFrame, $"skipped a {what} that could not be read: {ex.Message}", state.Channel);
            return;
        }
        if ((database ? state.LastDatabaseOffset : state.LastOffset) is { } last && Offsets.IsAtOrBefore(offset, last))
        {
            ClientLog.StaleChange(_logger, state.Channel, offset, last);
            return;
        }
        if (!state.Buffer.Writer.TryWrite(item))
        {
            Overflow(state);
            return;
        }
        if (database)
            state.LastDatabaseOffset = offset;
        else
            state.LastOffset = offset;
    }

    /// <summary>
    /// <c>database_resync_required</c>: the room's database broadcasts cannot continue from its position (or ended); the room
    /// itself goes on. The position is forgotten, the room told (in order with its items), and the room subscribed again from
    /// its own position, so its database broadcasts start from the present. True when the caller must subscribe again now.
    /// </summary>
    private bool RestartDatabaseBroadcasts(ChannelState state, ChannelPhase phase, ServerFrame frame)
    {
        _telemetry.Resyncs.Add(1);
        ClientLog.ResyncRequired(_logger, state.Channel, frame.Error);
        var resync = new DatabaseResyncItem(frame.Error ?? "database resync required", state.LastDatabaseOffset);
        state.LastDatabaseOffset = null;
        if (!state.Buffer.Writer.TryWrite(resync))
            _ = WriteWhenRoomAsync(state, resync);
        // A paused (overflowed) room subscribes again when its handlers catch up.
        if (phase == ChannelPhase.Paused)
            return false;
        state.Phase = ChannelPhase.Idle;
        state.ResubscribeWanted = false;
        return true;
    }

    private void AcceptPresence(ChannelState state, ServerFrame frame)
    {
        ChannelItem item;
        try
        {
            item = frame.Type == FrameTypes.PresenceState
                ? new PresenceStateItem(frame.Presences("presences", _serializer))
                : new PresenceDiffItem(frame.Presences("joins", _serializer), frame.Presences("leaves", _serializer));
        }
        catch (FormatException ex)
        {
            ClientLog.InvalidFrame(_logger, ex);
            ReportError(ClientErrorCodes.InvalidFrame, $"skipped a presence frame that could not be read: {ex.Message}", state.Channel);
            return;
        }
        if (!state.Buffer.Writer.TryWrite(item))
            Overflow(state);
    }

    private sealed class PendingBroadcast(string channel, long sessionId)
    {
        public string Channel { get; } = channel;
        public long SessionId { get; } = sessionId;
        public TaskCompletionSource<string> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
