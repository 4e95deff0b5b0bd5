using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using Sluice.Protocol;
using Sluice.Server.Protocols.Messages;
using Sluice.Server.Auth;
using Sluice.Server.Connections;
using Sluice.Server.Limits;
using Sluice.Server.Log;
using Sluice.Server.Rooms;
using Sluice.Server.Routing;
using Sluice.Server.RowSecurity;

namespace Sluice.Server.Protocols.Native;

/// <summary>Reads and answers one client's frames on the native protocol. Bad input gets an error frame, never a crash.</summary>
internal sealed partial class NativeSession(
    WebSocket socket,
    ClientConnection connection,
    SubscriptionServices services,
    NativeChangeFormat changeFormat,
    ConnectionAuth auth,
    TokenValidator tokens,
    RoomRegistry rooms,
    DatabaseBroadcasts databaseBroadcasts,
    int maxMessageBytes,
    ConnectionLimits limits,
    ILogger logger) : ProtocolSession<ClientMessage>(socket, maxMessageBytes)
{
    private readonly FrameRateLimiter _rateLimiter = limits.CreateRateLimiter();
    private readonly TableSubscriptions _tables = new(services);

    protected override ClientConnection Connection => connection;

    protected override FrameRateLimiter RateLimiter => _rateLimiter;

    protected override Task OnTooLargeAsync(ClientMessageReader reader) =>
        CloseAfterErrorAsync(reader, NativeFrames.Error(ErrorCodes.MessageTooLarge, $"frame exceeds the maximum of {MaxMessageBytes} bytes; closing"),
            CloseCodes.MessageTooBig, "message_too_large");

    /// <summary>Drops a frame over the rate limit (telling the client at most once a second); true when the connection is closed for flooding.</summary>
    protected override async Task<bool> OnOverRateAsync(FrameAdmission refusal, ClientMessageReader reader)
    {
        if (refusal == FrameAdmission.RefusedWithError)
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.RateLimited, limits.RateLimitedMessage));
        if (refusal != FrameAdmission.Close)
            return false;
        LogFlooding(connection.Id);
        await CloseAfterErrorAsync(reader, NativeFrames.Error(ErrorCodes.RateLimited, limits.FloodClosingMessage), CloseCodes.RateLimited, ErrorCodes.RateLimited);
        return true;
    }

    private async Task CloseAfterErrorAsync(ClientMessageReader reader, byte[] error, int closeCode, string reason)
    {
        connection.TryEnqueue(error);
        connection.Close(closeCode, reason, sendQueued: true);
        await reader.DrainUntilCloseAsync(TimeSpan.FromSeconds(2));
    }

    protected override bool TryParse(ReadOnlyMemory<byte> frame, WebSocketMessageType type, [MaybeNullWhen(false)] out ClientMessage message)
    {
        message = null;
        if (type == WebSocketMessageType.Binary)
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.UnsupportedFrame, "binary frames are not supported; send JSON text frames"));
            return false;
        }
        if (!ClientMessageParser.TryParse(frame.Span, out var parsed, out var error))
        {
            connection.TryEnqueue(NativeFrames.Error(error));
            return false;
        }
        message = parsed;
        return true;
    }

    protected override Task DispatchAsync(ClientMessage message, CancellationToken cancellationToken)
    {
        // A subscription id is checked before anything else (the token's expiry too): every later answer echoes it.
        if (message.Type is FrameTypes.Subscribe or FrameTypes.Unsubscribe && !CheckId(message))
            return Task.CompletedTask;
        if (message.Type is not (FrameTypes.Auth or FrameTypes.Heartbeat or FrameTypes.Unsubscribe) && auth.CheckExpired())
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.TokenExpired,
                "the token expired; send {\"type\":\"auth\",\"token\":…} with a fresh token first", message.Channel, ValidId(message)));
            return Task.CompletedTask;
        }
        return HandleGuardedAsync(message, HandleAsync, cancellationToken);
    }

    private async Task HandleAsync(ClientMessage message, CancellationToken cancellationToken)
    {
        switch (message.Type)
        {
            case FrameTypes.Auth:
                await RefreshTokenAsync(message, cancellationToken);
                break;
            case FrameTypes.Subscribe:
                await SubscribeAsync(message, cancellationToken);
                break;
            case FrameTypes.Unsubscribe:
                Unsubscribe(message);
                break;
            case FrameTypes.Heartbeat:
                // Only a heartbeat with a ref is answered: a client that echoes our heartbeats must not start a loop.
                if (message.Ref is not null)
                    connection.TryEnqueue(NativeFrames.HeartbeatReply(message.Ref));
                break;
            case FrameTypes.Broadcast:
                PublishToRoom(message);
                break;
            case FrameTypes.Presence:
                TrackPresence(message);
                break;
            default:
                connection.TryEnqueue(NativeFrames.Error(ErrorCodes.UnknownType,
                    $"unknown frame type \"{Truncate(message.Type)}\"; expected subscribe, unsubscribe, broadcast, presence, auth or heartbeat", message.Channel));
                break;
        }
    }

    protected override void OnFailure(ClientMessage message, SessionFailure failure, Exception exception)
    {
        switch (failure)
        {
            case SessionFailure.CatchUpTimedOut:
                connection.TryEnqueue(NativeFrames.Error(ErrorCodes.DatabaseUnavailable, "the change stream did not catch up with the snapshot in time; try again", message.Channel, ValidId(message)));
                break;
            case SessionFailure.AccessCheckFailed:
                var failed = (AccessCheckFailedException)exception;
                LogAccessCheckFailed(connection.Id, failed.SqlState, failed.Reason);
                connection.TryEnqueue(NativeFrames.Error(ErrorCodes.AccessCheckFailed, failed.Message, message.Channel, ValidId(message)));
                break;
            case SessionFailure.DatabaseUnavailable:
                LogDatabaseError(exception, connection.Id);
                connection.TryEnqueue(NativeFrames.Error(ErrorCodes.DatabaseUnavailable, "the database could not be queried; try again", message.Channel, ValidId(message)));
                break;
            default:
                LogFrameFailed(exception, connection.Id);
                connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InternalError, "the server failed to handle this frame", message.Channel, ValidId(message)));
                break;
        }
    }

    private async Task SubscribeAsync(ClientMessage message, CancellationToken cancellationToken)
    {
        // The id was checked (CheckId) before anything else.
        if (string.IsNullOrEmpty(message.Channel))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.MissingField, "subscribe needs a \"channel\" such as table:public.products", id: message.Id));
            return;
        }
        var channel = message.Channel;
        var key = new NativeSubscriptionKey(channel, message.Id);
        if (!AllowsChannel(channel, key.RouterChannel))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.TooManyChannels, limits.TooManyChannelsMessage, Truncate(channel), key.Id));
            return;
        }
        if (RoomChannels.HasPrefix(channel))
        {
            await SubscribeRoomAsync(message, cancellationToken);
            return;
        }
        if (message.DatabaseSince is not null)
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidField, "\"database_since\" is for room channels; tables resume with \"since\"", Truncate(channel), key.Id));
            return;
        }
        if (!TableChannel.TryParse(channel, out var table, out var channelError))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidChannel, channelError, Truncate(channel), key.Id));
            return;
        }
        string? sinceEpoch = null;
        var since = default(ChangeOffset);
        if (message.Since is not null && !ChangeOffset.TryParse(message.Since, out sinceEpoch, out since))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidOffset, "\"since\" is not an offset issued by Sluice", channel, key.Id));
            return;
        }

        var resolved = await _tables.ResolveAsync(connection, table.Schema, table.Table, message.Filter, cancellationToken);
        if (resolved.Result != TableSubscribeResult.Ready)
        {
            Report(resolved, key, table);
            return;
        }

        // The router knows the subscription by its router channel: one per (channel, id), so subscriptions with other ids
        // of the same table stay, and receivers of the same (channel, id) share serialized frames.
        var filter = resolved.Filter;
        var subscription = new Subscription(connection, key.RouterChannel, new TableKey(table.Schema, table.Table),
            message.Events ?? ChangeEvents.All, message.Filter, filter, filter is null ? null : resolved.Table)
        {
            Format = message.BatchCatchUp ? changeFormat.BatchingCatchUp : changeFormat,
            RelationId = resolved.Table!.RelationId,
        };
        var ack = NativeFrames.Ack(channel, key.Id);
        var keyColumns = resolved.Table.KeyColumns;
        var outcome = message.Since is not null
            ? await _tables.ResumeAsync(subscription, since, sinceEpoch, ack, cancellationToken)
            : message.Snapshot
                ? await _tables.SnapshotAsync(connection, subscription, resolved.Table, filter, resolved.AssumeRole ? connection.Identity : null, ack,
                    chunk => NativeFrames.Snapshot(channel, chunk, keyColumns, last: false, offset: null, key.Id),
                    (chunk, offset) => NativeFrames.Snapshot(channel, chunk, keyColumns, last: true, offset, key.Id), cancellationToken)
                : _tables.GoLive(subscription);
        Report(outcome, key, table);
    }

    /// <summary>
    /// False (with an <c>invalid_field</c> error, without the id: it is not one) when <paramref name="message"/> carries an
    /// id that breaks <see cref="SubscriptionIds"/>' rule, or any id on a room channel (ids name table subscriptions only).
    /// </summary>
    private bool CheckId(ClientMessage message)
    {
        if (message.Id is null)
            return true;
        var channel = message.Channel is null ? null : Truncate(message.Channel);
        if (!SubscriptionIds.IsValid(message.Id, out var error))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidField, error!, channel));
            return false;
        }
        if (message.Channel is not null && RoomChannels.HasPrefix(message.Channel))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.InvalidField, "\"id\" names a table subscription; room channels take none", channel));
            return false;
        }
        return true;
    }

    /// <summary>The message's id when it is valid (echoed in answers about it); null otherwise.</summary>
    private static string? ValidId(ClientMessage message) =>
        message.Id is { } id && SubscriptionIds.IsValid(id, out _) ? id : null;

    /// <summary>The native frame of a table subscription's outcome; nothing for those whose frames are already queued.</summary>
    private void Report(TableSubscribeOutcome outcome, NativeSubscriptionKey key, TableChannel table)
    {
        var (channel, id) = key;
        var frame = outcome.Result switch
        {
            TableSubscribeResult.NotFound => NativeFrames.Error(ErrorCodes.TableNotFound, $"table {table.Schema}.{table.Table} does not exist", channel, id),
            TableSubscribeResult.NotEnabled => NativeFrames.Error(ErrorCodes.RealtimeNotEnabled,
                $"realtime is not enabled for {table.Schema}.{table.Table}; run SELECT enable_realtime('{table.Schema}', '{table.Table}')", channel, id),
            TableSubscribeResult.InvalidFilter => NativeFrames.Error(ErrorCodes.InvalidFilter, outcome.Detail!, channel, id),
            TableSubscribeResult.Forbidden => NativeFrames.Error(ErrorCodes.Forbidden, outcome.Detail!, channel, id),
            TableSubscribeResult.InvalidOffset => NativeFrames.Error(ErrorCodes.InvalidOffset, "\"since\" is not an offset issued by Sluice: it lies beyond the database's WAL", channel, id),
            TableSubscribeResult.ResyncRequired => NativeFrames.ResyncRequired(channel, outcome.Resync switch
            {
                ResyncReason.OtherEpoch => "the offset is from another log epoch (the replication slot was recreated or the database restored); subscribe again with a snapshot",
                ResyncReason.SnapshotOutlived => "changes made during the snapshot left the retention window before it finished; subscribe again",
                _ => "the offset is older than the retention window; subscribe again with a snapshot",
            }, connection.Metrics, id),
            _ => null,
        };
        if (frame is not null)
            connection.TryEnqueue(frame);
    }

    private async Task RefreshTokenAsync(ClientMessage message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(message.Token))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.MissingField, "auth needs a \"token\""));
            return;
        }
        var result = await tokens.ValidateAsync(message.Token, cancellationToken);
        if (!result.Succeeded)
        {
            // The connection keeps its previous identity (and stays paused if its token had expired).
            LogRefreshRejected(connection.Id, result.ErrorCode);
            connection.TryEnqueue(NativeFrames.Error(result.ErrorCode, result.ErrorMessage));
            return;
        }
        // Delivery paused by an expired token continues from where it stopped, for the same claims: what it replays is
        // judged now (other claims end the table subscriptions instead, see ConnectionAuth.Refresh).
        if (auth.CheckExpired() && result.Identity.ClaimSetKey == connection.Identity.ClaimSetKey)
            await services.RowAccess.PrepareResumeAsync(connection, cancellationToken);
        EndDatabaseBroadcastsNotAdmitted(result.Identity);
        auth.Refresh(result.Identity);
        EndDatabaseBroadcastsWithoutRoom();
    }

    private void Unsubscribe(ClientMessage message)
    {
        // The id was checked (CheckId) before anything else.
        if (string.IsNullOrEmpty(message.Channel))
        {
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.MissingField, "unsubscribe needs a \"channel\"", id: message.Id));
            return;
        }
        if (RoomChannels.HasPrefix(message.Channel))
        {
            UnsubscribeRoom(message.Channel);
            return;
        }
        // Only table channels (with their ids) name the client's router channels (a room's database broadcasts are part of
        // the room); the subscription of (channel, id) ends, those with other ids of the table stay.
        var key = new NativeSubscriptionKey(message.Channel, message.Id);
        if (!TableChannel.TryParse(message.Channel, out _, out _)
            || !services.Router.Unsubscribe(connection, key.RouterChannel, NativeFrames.Unsubscribed(key.Channel, key.Id)))
            connection.TryEnqueue(NativeFrames.Error(ErrorCodes.NotSubscribed,
                key.Id is null ? "not subscribed to this channel" : "not subscribed to this channel with this id", Truncate(message.Channel), key.Id));
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "…");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId}: database query failed")]
    private partial void LogDatabaseError(Exception exception, long connectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId}: reading rows as the subscriber's role failed ({SqlState}: {Reason}); refused with access_check_failed")]
    private partial void LogAccessCheckFailed(long connectionId, string sqlState, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId}: token refresh refused ({Code})")]
    private partial void LogRefreshRejected(long connectionId, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} keeps sending over its rate limit; closing it with 4029")]
    private partial void LogFlooding(long connectionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection {ConnectionId}: handling a frame failed")]
    private partial void LogFrameFailed(Exception exception, long connectionId);
}
