using Sluice.Protocol;
using Sluice.Server.Protocols.Messages;
using Sluice.Server.Auth;
using Sluice.Server.Capture;
using Sluice.Server.Log;
using Sluice.Server.Rooms;
using Sluice.Server.Routing;

namespace Sluice.Server.Protocols.Native;

/// <summary>
/// A native room's database broadcasts (docs/rooms.md, "Database broadcasts"): the rows of <c>realtime.messages</c> whose topic
/// is the room's name, of the room's privacy, carried by one more router subscription of the connection
/// (<see cref="Subscription.ForDatabaseBroadcasts"/>, written by <see cref="NativeDatabaseBroadcastFormat"/>). It lives exactly
/// as long as the connection's room subscription: made with it, replaced when the room is subscribed again, removed when the
/// room is left, ends for a token the room no longer admits, and is not a channel of its own (not counted, not unsubscribable
/// by name).
/// </summary>
/// <remarks>
/// Privacy, fail closed: a room is private when a private-room rule for <c>subscribe</c> covers its name
/// (<see cref="RoomAccess.Covers"/>); only then were its subscribers admitted by a rule, so only then do they receive the
/// topic's private rows, and then only those. Every other room receives only the topic's public rows.
/// </remarks>
internal sealed partial class NativeSession
{
    /// <summary>Whether room <paramref name="room"/> receives its topic's private rows (else its public ones).</summary>
    private bool IsPrivateRoom(string room) => rooms.Access.Covers(room, RoomActions.Subscribe);

    /// <summary>
    /// Prepares the database broadcasts of a room subscription before the room's <c>ack</c> (which carries where they start):
    /// null when the database delivers none (the room works without them); <see cref="DatabasePreparation.Refused"/> when
    /// <paramref name="message"/>'s <c>database_since</c> was never issued (answered with <c>invalid_offset</c>: nothing is
    /// subscribed). The caller starts it with <see cref="StartDatabaseBroadcasts"/> once the room is subscribed, and releases
    /// it (<see cref="TableSubscriptions.Release"/>) in any case.
    /// </summary>
    private async Task<DatabasePreparation?> PrepareDatabaseBroadcastsAsync(string room, ClientMessage message, ChangeOffset since, string? sinceEpoch,
        CancellationToken cancellationToken)
    {
        // Asked before anything is subscribed: it may wait for a restarted server's log, and query the catalog. A room needs
        // no database: when it cannot be asked, the room is subscribed without its database broadcasts, and the client is told.
        TableSchema? messages;
        try
        {
            messages = await databaseBroadcasts.ResolveAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            LogDatabaseBroadcastsUnavailable(ex, connection.Id, room);
            return new DatabasePreparation(null, default, null, null,
                "database broadcasts could not start: the database could not be asked (the room works without them); subscribe again later");
        }
        if (messages is null)
            return null;
        var privateMessages = IsPrivateRoom(room);
        var format = new NativeDatabaseBroadcastFormat(room, privateMessages, connection.Metrics);
        if (Subscription.ForDatabaseBroadcasts(connection, format.RouterChannel, room, privateMessages, messages, format, rooms.Options.MaxPayloadBytes) is not { } subscription)
            return null;
        if (message.DatabaseSince is null)
        {
            var (after, epoch, text) = services.Router.LiveStart();
            return new DatabasePreparation(subscription, after, epoch, text, Resync: null);
        }
        var prepared = await _tables.PrepareResumeAsync(subscription, since, sinceEpoch, cancellationToken);
        switch (prepared.Result)
        {
            case TableSubscribeResult.Ready:
                return new DatabasePreparation(subscription, since, sinceEpoch, message.DatabaseSince, Resync: null);
            case TableSubscribeResult.InvalidOffset:
                connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidOffset,
                    "\"database_since\" is not an offset issued by Sluice: it lies beyond the database's WAL", message.Channel));
                return DatabasePreparation.Refused;
            default:
                return new DatabasePreparation(subscription, default, null, null,
                    "database_since is from another log epoch (the replication slot was recreated or the database restored); database broadcasts sent before may be missing: subscribe again without \"database_since\"");
        }
    }

    /// <summary>
    /// The room is subscribed (its <c>ack</c> is queued): its database broadcasts continue after their start, catching up
    /// from the change log, then live; or, when they cannot (<c>database_since</c> of another epoch or older than the
    /// retention window), none are subscribed and the client gets <c>database_resync_required</c>. Without
    /// <paramref name="prepared"/> (none delivered), whatever an earlier subscription of the room had is removed.
    /// </summary>
    private void StartDatabaseBroadcasts(string room, DatabasePreparation? prepared)
    {
        if (prepared is null)
        {
            services.Router.Unsubscribe(connection, NativeDatabaseBroadcastFormat.RouterChannelOf(room, IsPrivateRoom(room)), confirmation: null);
            return;
        }
        if (prepared.Subscription is { } subscription && prepared.Resync is null
            && _tables.FinishResume(subscription, prepared.After, ack: null, prepared.Epoch).Result == TableSubscribeResult.Resumed)
            return;
        services.Router.Unsubscribe(connection, NativeDatabaseBroadcastFormat.RouterChannelOf(room, IsPrivateRoom(room)), confirmation: null);
        connection.TryEnqueue(DatabaseBroadcastFrames.ResyncRequired(RoomChannels.ForName(room), prepared.Resync
            ?? "the database broadcasts after database_offset have left the retention window (or the change log started over); those sent meanwhile may be missing: subscribe again without \"database_since\"",
            code: null, connection.Metrics));
    }

    /// <summary>The room was left: so are its database broadcasts.</summary>
    private void EndDatabaseBroadcasts(string room) =>
        services.Router.Unsubscribe(connection, NativeDatabaseBroadcastFormat.RouterChannelOf(room, IsPrivateRoom(room)), confirmation: null);

    /// <summary>
    /// Before <paramref name="identity"/> becomes the connection's: the database broadcasts of every private room it does not
    /// admit end now, so none is delivered under it (the room subscription itself ends with <c>forbidden</c> when the token
    /// applies, see <see cref="RoomRegistry.Reauthorize"/>).
    /// </summary>
    private void EndDatabaseBroadcastsNotAdmitted(ConnectionIdentity identity)
    {
        foreach (var subscription in services.Router.SubscriptionsOf(connection))
        {
            if (subscription.Format is NativeDatabaseBroadcastFormat { Private: true } format
                && !rooms.Access.IsAllowed(identity, format.Room, RoomActions.Subscribe))
                services.Router.Unsubscribe(connection, subscription.Channel, confirmation: null);
        }
    }

    /// <summary>After a token change: the database broadcasts of rooms whose subscription ended meanwhile end too.</summary>
    private void EndDatabaseBroadcastsWithoutRoom()
    {
        foreach (var subscription in services.Router.SubscriptionsOf(connection))
        {
            if (subscription.Format is NativeDatabaseBroadcastFormat format && !rooms.IsSubscribed(connection, format.Room))
                services.Router.Unsubscribe(connection, subscription.Channel, confirmation: null);
        }
    }

    /// <summary>
    /// The connection's table channels, for the channel limit: a room's database-broadcast subscription is part of the room,
    /// counted once with it.
    /// </summary>
    private int TableChannelCount()
    {
        var count = 0;
        foreach (var subscription in services.Router.SubscriptionsOf(connection))
        {
            if (!subscription.ReadsDatabaseBroadcastsAsServer)
                count++;
        }
        return count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Native connection {ConnectionId}: room {Room} subscribed without its database broadcasts: the database could not be asked")]
    private partial void LogDatabaseBroadcastsUnavailable(Exception exception, long connectionId, string room);

    /// <summary>
    /// A room subscription's database broadcasts between preparation and start: the subscription, the offset they start after
    /// (of <see cref="Epoch"/>; <see cref="OffsetText"/> is the <c>ack</c>'s <c>database_offset</c>), or why they cannot start.
    /// </summary>
    private sealed record DatabasePreparation(Subscription? Subscription, ChangeOffset After, string? Epoch, string? OffsetText, string? Resync)
    {
        /// <summary>The subscribe was refused (an error is queued): nothing may be subscribed.</summary>
        public static readonly DatabasePreparation Refused = new(null, default, null, null, null);
    }
}
