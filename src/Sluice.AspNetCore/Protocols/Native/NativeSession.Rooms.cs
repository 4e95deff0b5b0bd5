using Sluice.Protocol;
using Sluice.Server.Log;
using Sluice.Server.Protocols.Messages;
using Sluice.Server.Rooms;

namespace Sluice.Server.Protocols.Native;

/// <summary>Room channels (<c>room:&lt;name&gt;</c>): subscribe, unsubscribe, broadcast and presence frames (docs/rooms.md).</summary>
internal sealed partial class NativeSession
{
    private async Task SubscribeRoomAsync(ClientMessage message, CancellationToken cancellationToken)
    {
        var channel = message.Channel!;
        if (!RoomChannels.TryParse(channel, out var name, out var channelError))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidChannel, channelError, Truncate(channel)));
            return;
        }
        if (message.Snapshot || message.Filter is not null || message.Events is not null)
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidField,
                "room channels have no snapshot, filter or events; resume with \"since\" instead", channel));
            return;
        }
        string? databaseSinceEpoch = null;
        var databaseSince = default(ChangeOffset);
        if (message.DatabaseSince is not null && !ChangeOffset.TryParse(message.DatabaseSince, out databaseSinceEpoch, out databaseSince))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidOffset,
                "\"database_since\" is not an offset issued by Sluice (a database_broadcast's database_offset, or a room ack's)", channel));
            return;
        }
        if (!rooms.Access.IsAllowed(connection.Identity, name, RoomActions.Subscribe))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.Forbidden, "this room is private and your token does not admit you", channel));
            return;
        }
        var database = await PrepareDatabaseBroadcastsAsync(name, message, databaseSince, databaseSinceEpoch, cancellationToken);
        if (ReferenceEquals(database, DatabasePreparation.Refused))
            return;
        try
        {
            var outcome = rooms.Subscribe(new NativeRoomMember(connection, name, database?.OffsetText), message.Since);
            switch (outcome)
            {
                case RoomOutcome.Ok:
                    // After the room's ack, which says where the database broadcasts start: none is queued before it.
                    StartDatabaseBroadcasts(name, database);
                    break;
                case RoomOutcome.InvalidOffset:
                    connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidOffset, "\"since\" is not a room offset issued by Sluice", channel));
                    break;
                case RoomOutcome.OtherEpoch:
                    connection.TryEnqueue(NativeFrames.ResyncRequired(channel, "the offset is from an earlier run of the server (room history lives in memory); subscribe again without \"since\"", connection.Metrics));
                    break;
                case RoomOutcome.HistoryGone:
                case RoomOutcome.UnknownOffset:
                    connection.TryEnqueue(NativeFrames.ResyncRequired(channel, "the messages after this offset are no longer in the room's history; subscribe again without \"since\"", connection.Metrics));
                    break;
            }
        }
        finally
        {
            // Whatever did not become the connection's subscription holds nothing.
            if (database?.Subscription is { } subscription)
                _tables.Release(subscription);
        }
    }

    /// <summary>
    /// The channel limit (<c>Sluice:Limits:MaxChannelsPerConnection</c>) counts table and room channels together, and
    /// each table subscription with an id as one more (its <paramref name="routerChannel"/>); subscribing again to a
    /// channel (with the same id) the connection has is allowed at the limit. Only this session adds subscriptions, so a
    /// stale count can only err towards refusing.
    /// </summary>
    private bool AllowsChannel(string channel, string routerChannel)
    {
        var already = RoomChannels.TryParse(channel, out var room, out _)
            ? rooms.IsSubscribed(connection, room)
            : connection.Subscriptions.ContainsKey(routerChannel);
        return limits.AllowsChannel(TableChannelCount() + rooms.SubscriptionCount(connection), already);
    }

    private void UnsubscribeRoom(string channel)
    {
        if (!RoomChannels.TryParse(channel, out var name, out _) || rooms.Unsubscribe(connection, name) != RoomOutcome.Ok)
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.NotSubscribed, "not subscribed to this channel", Truncate(channel)));
            return;
        }
        EndDatabaseBroadcasts(name);
    }

    private void PublishToRoom(ClientMessage message)
    {
        var reference = message.Ref;
        if (reference is { Length: > RoomChannels.MaxRefLength })
        {
            connection.TryEnqueue(RoomFrames.Error(ErrorCodes.InvalidField, $"\"ref\" is longer than {RoomChannels.MaxRefLength} characters",
                message.Channel is null ? null : Truncate(message.Channel), Truncate(reference)));
            return;
        }
        if (!TryGetRoom(message, "broadcast", reference, out var name))
            return;
        var channel = message.Channel!;
        if (string.IsNullOrEmpty(message.Event) || message.Payload is null)
        {
            connection.TryEnqueue(RoomFrames.Error(ErrorCodes.MissingField, "broadcast needs an \"event\" and a \"payload\"", channel, reference));
            return;
        }
        if (message.Event.Length > RoomChannels.MaxEventLength)
        {
            connection.TryEnqueue(RoomFrames.Error(ErrorCodes.InvalidField, $"\"event\" is longer than {RoomChannels.MaxEventLength} characters", channel, reference));
            return;
        }
        if (message.Payload.Length > rooms.Options.MaxPayloadBytes)
        {
            connection.TryEnqueue(RoomFrames.Error(ErrorCodes.PayloadTooLarge,
                $"the payload is larger than the maximum of {rooms.Options.MaxPayloadBytes} bytes", channel, reference));
            return;
        }
        if (!rooms.Access.IsAllowed(connection.Identity, name, RoomActions.Publish))
        {
            connection.TryEnqueue(RoomFrames.Error(ErrorCodes.Forbidden, "this room is private and your token may not publish in it", channel, reference));
            return;
        }
        if (rooms.Publish(connection, name, message.Event, message.Payload, message.Self, message.Ack, reference, out _) == RoomOutcome.NotSubscribed)
            connection.TryEnqueue(RoomFrames.Error(ErrorCodes.NotSubscribed, "subscribe to the room before publishing in it", channel, reference));
    }

    private void TrackPresence(ClientMessage message)
    {
        if (!TryGetRoom(message, "presence", reference: null, out var name))
            return;
        var channel = message.Channel!;
        if (!message.HasState)
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.MissingField, "presence needs a \"state\": an object to track, or null to untrack", channel));
            return;
        }
        if (message.Key is { Length: 0 or > RoomChannels.MaxPresenceKeyLength })
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidField, $"\"key\" must be 1-{RoomChannels.MaxPresenceKeyLength} characters", channel));
            return;
        }
        if (message.State is { } state)
        {
            if (state.Length > rooms.Options.MaxPresenceStateBytes)
            {
                connection.TryEnqueue(NativeFrames.Error(ErrorCodes.PayloadTooLarge,
                    $"the presence state is larger than the maximum of {rooms.Options.MaxPresenceStateBytes} bytes", channel));
                return;
            }
            // Untracking stays allowed: a connection may always leave.
            if (!rooms.Access.IsAllowed(connection.Identity, name, RoomActions.Presence))
            {
                connection.TryEnqueue(NativeFrames.Error(ErrorCodes.Forbidden, "this room is private and your token may not track presence in it", channel));
                return;
            }
        }
        var identity = connection.Identity;
        var key = message.Key ?? identity.Subject ?? "conn-" + connection.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (rooms.Track(connection, name, key, message.State) == RoomOutcome.NotSubscribed)
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.NotSubscribed, "subscribe to the room before tracking presence in it", channel));
    }

    private bool TryGetRoom(ClientMessage message, string frameType, string? reference, out string name)
    {
        name = string.Empty;
        if (string.IsNullOrEmpty(message.Channel))
        {
            connection.TryEnqueue(RoomFrames.Error(ErrorCodes.MissingField, $"{frameType} needs a \"channel\" such as room:lobby", null, reference));
            return false;
        }
        if (!RoomChannels.TryParse(message.Channel, out var parsed, out var error))
        {
            connection.TryEnqueue(RoomFrames.Error(ErrorCodes.InvalidChannel,
                RoomChannels.HasPrefix(message.Channel) ? error : $"{frameType} frames are for room channels: {error}", Truncate(message.Channel), reference));
            return false;
        }
        name = parsed;
        return true;
    }
}
