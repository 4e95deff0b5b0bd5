using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Text.Json;
using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Capture;
using Sluice.Server.Connections;
using Sluice.Server.Limits;
using Sluice.Server.Log;
using Sluice.Server.Rooms;
using Sluice.Server.Routing;
using Sluice.Server.RowSecurity;
using Sluice.Server.Snapshots;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// Reads and answers one <c>@supabase/realtime-js</c> client's Phoenix frames: heartbeats,
/// channel joins with <c>postgres_changes</c> bindings (each binding one router subscription) and the channel's database
/// broadcasts (one more router subscription, see <see cref="DatabaseBroadcasts"/>), leaves and token refreshes.
/// The connection has one identity, the token of its latest join or <c>access_token</c> event (falling back to the
/// socket's <c>apikey</c>); row-level security applies to it exactly as on the native protocol.
/// </summary>
internal sealed partial class SupabaseSession(
    WebSocket socket,
    ClientConnection connection,
    SubscriptionServices services,
    ConnectionAuth auth,
    SupabaseTokens tokens,
    RoomRegistry rooms,
    PhoenixVersion version,
    int maxMessageBytes,
    ConnectionLimits limits,
    TimeSpan clockSkew,
    SupabaseOptions options,
    PrivateTopicAuthorization privateTopics,
    string requestHeadersJson,
    DatabaseBroadcasts databaseBroadcasts,
    ILogger logger) : ProtocolSession<PhoenixMessage>(socket, maxMessageBytes)
{
    /// <summary>Longest wait between two token checks (Supabase re-validates at least this often).</summary>
    private static readonly TimeSpan MaxTokenCheckInterval = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, JoinedChannel> _channels = new(StringComparer.Ordinal);
    private readonly FrameRateLimiter _rateLimiter = limits.CreateRateLimiter();
    private readonly TableSubscriptions _tables = new(services);

    /// <summary>Held while a message is handled and while the token timer runs: the session's state has one writer at a time.</summary>
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ITimer? _tokenTimer;
    private ConnectionIdentity? _armedFor;
    private bool _ended;
    private ITimer? _idleTimer;
    private long _lastReceived;

    /// <summary>Topics currently joined (for tests and stats).</summary>
    public int JoinedCount => _channels.Count;

    protected override ClientConnection Connection => connection;

    protected override FrameRateLimiter RateLimiter => _rateLimiter;

    protected override void OnStarted()
    {
        Volatile.Write(ref _lastReceived, Stopwatch.GetTimestamp());
        _idleTimer = TimeProvider.System.CreateTimer(static state => ((SupabaseSession)state!).CheckIdle(), this, options.IdleTimeout, Timeout.InfiniteTimeSpan);
    }

    protected override void OnReceived() => Volatile.Write(ref _lastReceived, Stopwatch.GetTimestamp());

    protected override Task OnTooLargeAsync(ClientMessageReader reader)
    {
        connection.Close(CloseCodes.MessageTooBig, "message_too_large");
        return Task.CompletedTask;
    }

    /// <summary>A frame over the rate is dropped silently; a flood closes the connection.</summary>
    protected override Task<bool> OnOverRateAsync(FrameAdmission admission, ClientMessageReader reader)
    {
        if (admission != FrameAdmission.Close)
            return Task.FromResult(false);
        connection.Close(CloseCodes.RateLimited, ErrorCodes.RateLimited);
        return Task.FromResult(true);
    }

    protected override bool TryParse(ReadOnlyMemory<byte> frame, WebSocketMessageType type, [MaybeNullWhen(false)] out PhoenixMessage message)
    {
        var parsed = type == WebSocketMessageType.Binary
            ? PhoenixSerializer.TryParseBinary(frame.Span, out message, out var error, out var rejection)
            : PhoenixSerializer.TryParseText(frame.Span, version, out message, out error, out rejection);
        if (parsed)
            return message is not null;
        LogBadFrame(connection.Id, error!);
        // A push that can be addressed gets its error reply (as an unknown event does), not a timeout.
        if (rejection is not null)
            connection.TryEnqueue(PhoenixSerializer.WriteRejection(version, rejection));
        return false;
    }

    protected override async Task DispatchAsync(PhoenixMessage message, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await HandleGuardedAsync(message, HandleAsync, cancellationToken);
            ArmTokenCheck();
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override void OnFailure(PhoenixMessage message, SessionFailure failure, Exception exception)
    {
        if (failure == SessionFailure.DatabaseUnavailable)
        {
            LogDatabaseError(exception, connection.Id);
            if (message.Event == "phx_join")
                connection.TryEnqueue(SupabaseFrames.ReplyError(version, message.JoinRef, message.Ref, message.Topic,
                    "DatabaseUnavailable: the database could not be queried; try again"));
            return;
        }
        LogFrameFailed(exception, connection.Id);
        connection.TryEnqueue(SupabaseFrames.ReplyError(version, message.JoinRef, message.Ref, message.Topic, "InternalError: the server failed to handle this message"));
    }

    protected override async Task OnEndedAsync()
    {
        await _gate.WaitAsync(CancellationToken.None);
        _ended = true;
        _tokenTimer?.Dispose();
        _tokenTimer = null;
        _gate.Release();
        _idleTimer?.Dispose();
    }

    /// <summary>
    /// Phoenix closes a socket that received nothing for its timeout (60 s): so does this endpoint, after
    /// <see cref="SupabaseOptions.IdleTimeout"/> without a frame (realtime-js sends a heartbeat every 25 s).
    /// </summary>
    private void CheckIdle()
    {
        var idle = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastReceived));
        if (idle < options.IdleTimeout)
        {
            try
            {
                _idleTimer?.Change(options.IdleTimeout - idle, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The session ended meanwhile.
            }
            return;
        }
        LogIdle(connection.Id, (long)options.IdleTimeout.TotalSeconds);
        connection.Close((int)WebSocketCloseStatus.NormalClosure, "idle timeout");
    }

    /// <summary>
    /// Arms the token check while channels are joined: at the token's expiry, and at least every 5 minutes (as Supabase
    /// re-validates), so an expired token ends the channels when it expires, not at the client's next message.
    /// </summary>
    private void ArmTokenCheck(bool force = false)
    {
        var identity = connection.Identity;
        // Armed already for this identity: most messages change neither the token nor whether channels are joined.
        if (!force && _tokenTimer is not null && _channels.Count > 0 && ReferenceEquals(identity, _armedFor))
            return;
        _tokenTimer?.Dispose();
        _tokenTimer = null;
        _armedFor = identity;
        if (_ended || _channels.Count == 0 || identity.ExpiresAt is not { } expiresAt)
            return;
        var due = expiresAt + clockSkew - TimeProvider.System.GetUtcNow();
        due = due < TimeSpan.Zero ? TimeSpan.Zero : due > MaxTokenCheckInterval ? MaxTokenCheckInterval : due;
        _tokenTimer = TimeProvider.System.CreateTimer(static state => _ = ((SupabaseSession)state!).CheckTokenAsync(), this, due, Timeout.InfiniteTimeSpan);
    }

    private async Task CheckTokenAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_ended)
                return;
            if (_channels.Count > 0 && auth.CheckExpired())
                EndAllForExpiredToken();
            ArmTokenCheck(force: true);
        }
        catch (Exception ex)
        {
            LogFrameFailed(ex, connection.Id);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task HandleAsync(PhoenixMessage message, CancellationToken cancellationToken)
    {
        if (_channels.Count > 0 && auth.CheckExpired())
            EndAllForExpiredToken();
        if (message.Topic == SupabaseFrames.PhoenixTopic)
        {
            if (message.Event == "heartbeat")
                connection.TryEnqueue(SupabaseFrames.ReplyOk(version, null, message.Ref, message.Topic));
            return;
        }
        switch (message.Event)
        {
            case "phx_join":
                await JoinAsync(message, cancellationToken);
                return;
            case "phx_leave":
                Leave(message);
                return;
        }
        if (!_channels.TryGetValue(message.Topic, out var channel))
        {
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, message.JoinRef, message.Ref, message.Topic, "unmatched topic"));
            return;
        }
        switch (message.Event)
        {
            case "access_token":
                await RefreshTokenAsync(channel, message, cancellationToken);
                break;
            default:
                await HandleChannelEventAsync(channel, message, cancellationToken);
                break;
        }
    }

    /// <summary>Events on a joined channel other than joins, leaves and tokens: <c>broadcast</c> and <c>presence</c> go to the room.</summary>
    private async Task HandleChannelEventAsync(JoinedChannel channel, PhoenixMessage message, CancellationToken cancellationToken)
    {
        switch (message.Event)
        {
            case "broadcast":
                await BroadcastAsync(channel, message, cancellationToken);
                break;
            case "presence":
                await PresenceAsync(channel, message, cancellationToken);
                break;
            default:
                if (message.Ref is not null)
                    connection.TryEnqueue(SupabaseFrames.ReplyError(version, channel.JoinRef, message.Ref, message.Topic,
                        $"UnsupportedEvent: \"{Truncate(message.Event)}\" is not supported by this server"));
                break;
        }
    }

    private async Task BroadcastAsync(JoinedChannel channel, PhoenixMessage message, CancellationToken cancellationToken)
    {
        var payload = message.Payload;
        if (payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty("event", out var eventName) || eventName.ValueKind != JsonValueKind.String
            || eventName.GetString() is not { Length: > 0 and <= RoomChannels.MaxEventLength } name)
        {
            ReplyErrorIfAsked(channel, message, "InvalidBroadcast: a broadcast needs an \"event\" of 1-" + RoomChannels.MaxEventLength + " characters");
            return;
        }
        var body = payload.TryGetProperty("payload", out var inner) ? JsonSerializer.SerializeToUtf8Bytes(inner) : "{}"u8.ToArray();
        if (body.Length > rooms.Options.MaxPayloadBytes)
        {
            ReplyErrorIfAsked(channel, message, "payload_size_exceeded");
            return;
        }
        var allowed = await MayWriteAsync(channel, TopicExtension.Broadcast, cancellationToken);
        if (allowed is not { Allowed: true })
        {
            // Refused by the policies on realtime.messages (or they could not be asked): dropped without a reply, as
            // Supabase drops it (an acknowledged send times out). A private-room rule's refusal is answered.
            if (allowed is { ByRule: true })
                ReplyErrorIfAsked(channel, message, "Unauthorized: you may not broadcast in this channel");
            return;
        }
        rooms.Publish(connection, channel.Room, name, body, channel.Self, ack: false, reference: null, out _, binary: message.Binary);
        if (channel.Ack && message.Ref is not null)
            connection.TryEnqueue(SupabaseFrames.ReplyOk(version, channel.JoinRef, message.Ref, message.Topic));
    }

    private async Task PresenceAsync(JoinedChannel channel, PhoenixMessage message, CancellationToken cancellationToken)
    {
        var payload = message.Payload;
        var kind = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("event", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        byte[]? state;
        switch (kind)
        {
            case "track":
                if (!payload.TryGetProperty("payload", out var tracked) || tracked.ValueKind != JsonValueKind.Object)
                {
                    ReplyErrorIfAsked(channel, message, "Presence track payload must be a map");
                    return;
                }
                state = JsonSerializer.SerializeToUtf8Bytes(tracked);
                if (state.Length > rooms.Options.MaxPresenceStateBytes)
                {
                    ReplyErrorIfAsked(channel, message, "payload_size_exceeded");
                    return;
                }
                if (!await EnablePresenceReadAsync(channel, cancellationToken))
                {
                    if (message.Ref is not null)
                        connection.TryEnqueue(SupabaseFrames.ReplyErrorWithoutReason(version, channel.JoinRef, message.Ref, message.Topic));
                    return;
                }
                var allowed = await MayWriteAsync(channel, TopicExtension.Presence, cancellationToken);
                if (allowed is not { Allowed: true })
                {
                    // Supabase answers a track its policies refuse with an error without a reason; the channel stays.
                    if (allowed is { ByRule: true })
                        ReplyErrorIfAsked(channel, message, "Unauthorized: you may not track presence in this channel");
                    else if (message.Ref is not null)
                        connection.TryEnqueue(SupabaseFrames.ReplyErrorWithoutReason(version, channel.JoinRef, message.Ref, message.Topic));
                    return;
                }
                break;
            case "untrack":
                state = null;
                break;
            default:
                ReplyErrorIfAsked(channel, message, "presence events are track or untrack");
                return;
        }
        rooms.Track(connection, channel.Room, channel.PresenceKey, state);
        if (message.Ref is not null)
            connection.TryEnqueue(SupabaseFrames.ReplyOk(version, channel.JoinRef, message.Ref, message.Topic));
    }

    /// <summary>
    /// A track enables presence: on a private channel joined without it, whose presence read the join did not ask, it is
    /// asked now (as Supabase does at the first track), and the channel receives presence if the policies allow. False when
    /// the policies could not be asked (logged; the track is refused as Supabase refuses it, without a reason).
    /// </summary>
    private async Task<bool> EnablePresenceReadAsync(JoinedChannel channel, CancellationToken cancellationToken)
    {
        if (!channel.Config.Private || channel.Read.Presence is not null)
            return true;
        var (read, failure) = await ReadPrivateAsync(channel.SubTopic, presence: true, cancellationToken);
        if (failure is not null)
            return false;
        // Broadcast read stays what the join decided (its database broadcasts were started, or not, on it).
        channel.Read = channel.Read with { Presence = read.Presence == true };
        channel.Member?.Allow(channel.Read.Broadcast, channel.Read.Presence == true);
        return true;
    }

    /// <summary>
    /// Whether the connection may send (broadcast) or track (presence) on <paramref name="channel"/>. Public channels: allowed
    /// unless a private-room rule covers the room and refuses the token. Private channels: <see cref="PrivateTopicAuthorization"/>,
    /// asked once per join and extension and kept until the token changes, as Supabase keeps it; null when the policies
    /// could not be asked (refused, and logged).
    /// </summary>
    private async Task<TopicWriteDecision?> MayWriteAsync(JoinedChannel channel, TopicExtension extension, CancellationToken cancellationToken)
    {
        if (!channel.Config.Private)
        {
            var action = extension == TopicExtension.Broadcast ? RoomActions.Publish : RoomActions.Presence;
            return new TopicWriteDecision(rooms.Access.IsAllowed(connection.Identity, channel.Room, action), ByRule: true);
        }
        if (channel.Writes.TryGetValue(extension, out var known))
            return known;
        try
        {
            var decision = await privateTopics.WriteAsync(connection.Identity, channel.SubTopic, extension, requestHeadersJson, cancellationToken);
            channel.Writes[extension] = decision;
            return decision;
        }
        catch (TopicProbeException ex)
        {
            LogTopicCheckFailed(connection.Id, channel.SubTopic, ex.Failure, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// What the connection may read on the private topic <paramref name="subTopic"/>; null with why when the policies could
    /// not be asked (logged).
    /// </summary>
    private async Task<(TopicReadAccess Access, TopicProbeFailure? Failure)> ReadPrivateAsync(string subTopic, bool presence, CancellationToken cancellationToken,
        ConnectionIdentity? identity = null)
    {
        try
        {
            return (await privateTopics.ReadAsync(identity ?? connection.Identity, subTopic, presence, requestHeadersJson, cancellationToken), null);
        }
        catch (TopicProbeException ex)
        {
            LogTopicCheckFailed(connection.Id, subTopic, ex.Failure, ex.Message);
            return (default, ex.Failure);
        }
    }

    /// <summary>Supabase's reason for refusing a private join: nothing readable (or a policy that failed), or the policies could not be asked.</summary>
    private static string JoinRefusal(string subTopic, TopicProbeFailure? failure) => failure switch
    {
        null or TopicProbeFailure.PolicyError => $"Unauthorized: You do not have permissions to read from this Channel topic: {subTopic}",
        TopicProbeFailure.MissingPartition => "MissingPartition: Realtime was unable to find the expected messages partition",
        TopicProbeFailure.QueryCanceled => "QueryCanceled: the policies on realtime.messages did not answer in time",
        _ => "UnableToConnectToProject: Realtime was unable to connect to the project database",
    };

    /// <summary>
    /// <c>config.broadcast.replication_ready</c>: once the change stream is current (<see cref="StartupCatchUp"/>: at once,
    /// except while a started server re-reads its slot), the channel gets Supabase's <c>system</c> "Replication connection
    /// established"; if it does not become current within <see cref="StartupCatchUp.Patience"/>, the channel ends with
    /// Supabase's "Replication connection was not established in time".
    /// </summary>
    private async Task NotifyReplicationReadyAsync(JoinedChannel channel, CancellationToken cancellationToken)
    {
        try
        {
            await services.StartupCatchUp.WaitAsync(cancellationToken);
        }
        catch (TimeoutException)
        {
            _channels.Remove(channel.Topic);
            EndChannel(channel);
            connection.TryEnqueue(SupabaseFrames.System(version, channel.JoinRef, channel.Topic, "system", ok: false, "Replication connection was not established in time"));
            connection.TryEnqueue(SupabaseFrames.Close(version, channel.JoinRef, channel.Topic));
            return;
        }
        connection.TryEnqueue(SupabaseFrames.System(version, channel.JoinRef, channel.Topic, "system", ok: true, "Replication connection established"));
    }

    /// <summary>
    /// The connection's token is about to change to <paramref name="identity"/>: a private channel's policies are asked again
    /// for it, as Supabase asks them, before it applies (until then the channel reads what the old token, still valid, allows).
    /// It ends (with Supabase's <c>system</c> message and <c>phx_close</c>) when it may read nothing, when a read it had is
    /// revoked, or when the policies cannot be asked; otherwise it reads what they now allow, and its writes are asked again
    /// at the next send or track.
    /// </summary>
    private async Task RecheckPrivateAsync(JoinedChannel channel, ConnectionIdentity identity, CancellationToken cancellationToken)
    {
        channel.Writes.Clear();
        // Presence read is asked again when it was asked before (at join, or at the first track).
        var (read, failure) = await ReadPrivateAsync(channel.SubTopic, channel.Config.PresenceEnabled || channel.Read.Presence is not null,
            cancellationToken, identity);
        var before = channel.Read;
        var ending = failure switch
        {
            null when !read.MayJoin => $"You do not have permissions to read from this Channel topic: {channel.SubTopic}",
            null when (before.Broadcast && !read.Broadcast) || (before.Presence == true && read.Presence != true) =>
                $"You no longer have permission to read from this Channel topic: {channel.SubTopic}",
            null => null,
            TopicProbeFailure.PolicyError => $"You do not have permissions to read from this Channel topic: {channel.SubTopic}",
            TopicProbeFailure.QueryCanceled => "Query was cancelled, please try again",
            _ => "Realtime was unable to connect to the project database",
        };
        if (ending is not null)
        {
            _channels.Remove(channel.Topic);
            EndChannel(channel);
            connection.TryEnqueue(SupabaseFrames.System(version, channel.JoinRef, channel.Topic, "system", ok: false, ending));
            connection.TryEnqueue(SupabaseFrames.Close(version, channel.JoinRef, channel.Topic));
            return;
        }
        channel.Read = read;
        channel.Member?.Allow(read.Broadcast, read.Presence == true);
        if (!before.Broadcast && read.Broadcast)
            await StartDatabaseBroadcastsAsync(channel, cancellationToken);
    }

    /// <summary>
    /// A private channel that joined without broadcast read (presence only) and gained it with a new token: its topic's
    /// database broadcasts start live from now, as its room broadcasts do (Supabase gates both on the same read).
    /// </summary>
    private async Task StartDatabaseBroadcastsAsync(JoinedChannel channel, CancellationToken cancellationToken)
    {
        if (await databaseBroadcasts.ResolveAsync(cancellationToken) is not { } messages
            || DatabaseBroadcastSubscription(channel, messages) is not { } subscription)
            return;
        _tables.GoLive(subscription);
    }

    /// <summary>
    /// The channel's subscription to its topic's database broadcasts of its privacy, its router channel added to the
    /// channel's; null when the channel has that router channel already or <paramref name="messages"/> cannot carry them.
    /// </summary>
    private Subscription? DatabaseBroadcastSubscription(JoinedChannel channel, TableSchema messages)
    {
        var format = new SupabaseDatabaseBroadcastFormat(version, channel.Topic, channel.Config.Private, connection.Metrics);
        if (channel.RouterChannels.Contains(format.RouterChannel)
            || Subscription.ForDatabaseBroadcasts(connection, format.RouterChannel, channel.SubTopic, channel.Config.Private, messages, format, rooms.Options.MaxPayloadBytes) is not { } subscription)
            return null;
        channel.RouterChannels.Add(format.RouterChannel);
        return subscription;
    }

    private void ReplyErrorIfAsked(JoinedChannel channel, PhoenixMessage message, string reason)
    {
        if (message.Ref is not null)
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, channel.JoinRef, message.Ref, message.Topic, reason));
    }

    private async Task JoinAsync(PhoenixMessage message, CancellationToken cancellationToken)
    {
        var topic = message.Topic;
        var joinRef = message.JoinRef ?? message.Ref ?? "";
        if (_channels.Remove(topic, out var previous))
        {
            EndChannel(previous);
            connection.TryEnqueue(SupabaseFrames.Close(version, previous.JoinRef, topic));
        }
        if (!topic.StartsWith(SupabaseFrames.TopicPrefix, StringComparison.Ordinal) || topic.Length == SupabaseFrames.TopicPrefix.Length)
        {
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, "TopicNameRequired: topics are realtime:<name>"));
            return;
        }
        if (!PostgresChangesBinding.TryParseAll(message.Payload, out var bindings, out var bindingError))
        {
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, "InvalidJoinPayload: " + bindingError));
            return;
        }

        var identity = await tokens.ForJoinAsync(message.Payload, cancellationToken);
        if (!identity.Succeeded)
        {
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, $"InvalidJWTToken: {identity.ErrorMessage}"));
            return;
        }
        UseIdentity(identity.Identity!);
        if (auth.CheckExpired())
        {
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, "InvalidJWTToken: Token has expired"));
            return;
        }
        var roomName = SupabaseFrames.SubTopic(topic);
        if (!RoomChannels.IsValidName(roomName, out var nameError))
        {
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, "InvalidTopic: " + nameError));
            return;
        }
        var config = JoinConfig.Read(message.Payload);
        string? broadcastSinceEpoch = null;
        var broadcastSince = default(ChangeOffset);
        if (config.BroadcastSince is not null && !ChangeOffset.TryParse(config.BroadcastSince, out broadcastSinceEpoch, out broadcastSince))
        {
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic,
                "InvalidJoinPayload: config.broadcast \"since\" must be an offset issued by Sluice (a database broadcast's meta.offset, or the join reply's broadcast.offset)"));
            return;
        }
        var read = new TopicReadAccess(true, true);
        if (config.Private)
        {
            (read, var failure) = await ReadPrivateAsync(roomName, config.PresenceEnabled, cancellationToken);
            if (failure is not null || !read.MayJoin)
            {
                connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, JoinRefusal(roomName, failure)));
                return;
            }
        }
        else if (!rooms.Access.IsAllowed(connection.Identity, roomName, RoomActions.Subscribe))
        {
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic,
                $"Unauthorized: You do not have permissions to read from this Channel topic: {roomName}"));
            return;
        }
        if (ReplayRefusal(message.Payload, roomName, config, read, out var replay) is { } replayRefusal)
        {
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, replayRefusal));
            return;
        }
        if (!limits.AllowsChannel(_channels.Count + TableSubscriptionCount(), alreadyHeld: false))
        {
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, "ChannelRateLimitReached: Too many channels"));
            return;
        }

        var joined = new JoinedChannel(topic, joinRef, roomName, config.Private ? privateTopics.RoomOf(roomName) : roomName, config) { Read = read };
        var start = new JoinStart(bindings.Count);
        // Asked before anything is subscribed (it may wait for a restarted server's log, and query the catalog).
        var messages = await DatabaseBroadcastsForAsync(config, read, cancellationToken);
        if (messages is null && replay is not null)
        {
            // No stored messages to read (realtime.messages is absent or unusable, logged): as Supabase when its query fails.
            connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, ReplayRequest.Failed));
            return;
        }
        var added = false;
        try
        {
            for (var i = 0; i < bindings.Count; i++)
            {
                var refusal = await SubscribeAsync(joined, bindings[i], i, start, cancellationToken);
                if (refusal is not null)
                {
                    EndChannel(joined);
                    connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, refusal));
                    return;
                }
            }
            if (messages is not null)
            {
                var refusal = await SubscribeDatabaseBroadcastsAsync(joined, messages, broadcastSince, broadcastSinceEpoch, replay, start, cancellationToken);
                if (refusal is not null)
                {
                    EndChannel(joined);
                    connection.TryEnqueue(SupabaseFrames.ReplyError(version, joinRef, message.Ref, topic, refusal));
                    return;
                }
            }
            _channels[topic] = joined;
            added = true;
            // Every binding is live (or about to catch up from its since) before the reply: SUBSCRIBED is never premature.
            if (start.Replay is { } replayed)
                CompleteReplay(joined, message.Ref, bindings, start, replayed);
            else
                connection.TryEnqueue(SupabaseFrames.JoinReply(version, joinRef, message.Ref, topic, bindings, start.Offsets, start.BroadcastOffset));
            joined.Member = new SupabaseRoomMember(connection, joined.Room, topic, version, joinRef, presenceState: joined.Config.PresenceEnabled);
            joined.Member.Allow(read.Broadcast, read.Presence == true);
            rooms.Subscribe(joined.Member, since: null);
            foreach (var notice in start.Notices)
                connection.TryEnqueue(notice);
            // Catch-up frames go out after the reply, once the client knows the binding ids.
            foreach (var (subscription, binding) in start.Resumes)
            {
                if (_tables.FinishResume(subscription, binding.SinceOffset, ack: null, binding.SinceEpoch).Result == TableSubscribeResult.Resumed)
                    continue;
                var live = _tables.GoLive(subscription).Detail!;
                connection.TryEnqueue(SupabaseFrames.ResyncRequired(version, joinRef, topic, binding.Id, live,
                    "resync_required: the offset in since is older than the retention window; the binding is live from now, so refetch what you show"));
            }
            if (start.BroadcastResume is { } broadcasts && _tables.FinishResume(broadcasts, broadcastSince, ack: null, broadcastSinceEpoch).Result != TableSubscribeResult.Resumed)
            {
                var live = _tables.GoLive(broadcasts).Detail!;
                connection.TryEnqueue(SupabaseFrames.BroadcastResyncRequired(version, joinRef, topic, live,
                    "resync_required: the offset in config.broadcast.since is older than the retention window; database broadcasts are live from now, and those sent before may be missing"));
            }
            if (bindings.Count > 0)
                connection.TryEnqueue(SupabaseFrames.System(version, joinRef, topic, "postgres_changes", ok: true, "Subscribed to PostgreSQL"));
        }
        catch (Exception) when (!added)
        {
            // Nothing of a join that failed halfway stays subscribed.
            EndChannel(joined);
            throw;
        }
        finally
        {
            foreach (var (subscription, _) in start.Resumes)
                _tables.Release(subscription);
            if (start.BroadcastResume is { } broadcasts)
                _tables.Release(broadcasts);
            if (start.Replay is { } replayed)
                _tables.Release(replayed.Subscription);
        }
        if (config.ReplicationReady)
            await NotifyReplicationReadyAsync(joined, cancellationToken);
    }

    /// <summary>
    /// <c>realtime.messages</c> when the channel receives database broadcasts: a public channel the topic's public messages,
    /// a private one its private messages when it may read the topic's broadcasts (<paramref name="read"/>, what
    /// <see cref="PrivateTopicAuthorization"/> said at join: the policies on <c>realtime.messages</c>, or the private-room
    /// rules). Null: none (fail closed; the join goes on).
    /// </summary>
    private async Task<TableSchema?> DatabaseBroadcastsForAsync(JoinConfig config, TopicReadAccess read, CancellationToken cancellationToken)
    {
        if (config.Private && !read.Broadcast)
            return null;
        return await databaseBroadcasts.ResolveAsync(cancellationToken);
    }

    /// <summary>
    /// Subscribes the channel to its topic's database broadcasts of its privacy, live before the reply like a binding; with
    /// <c>config.broadcast.since</c> it is prepared here and resumed by the caller after the reply. The refusal's reason or null.
    /// </summary>
    private async Task<string?> SubscribeDatabaseBroadcastsAsync(JoinedChannel joined, TableSchema messages, ChangeOffset since, string? sinceEpoch,
        ReplayRequest? replay, JoinStart start, CancellationToken cancellationToken)
    {
        // A joining channel holds only its bindings' router channels, which never name a database broadcast one.
        if (DatabaseBroadcastSubscription(joined, messages) is not { } subscription)
            return replay is null ? null : ReplayRequest.Failed;
        // With Sluice's since the catch-up delivers every message after it, with no limit: a replay would repeat some.
        if (replay is { } asked && joined.Config.BroadcastSince is null)
            return await PrepareReplayAsync(joined, subscription, asked, start, cancellationToken);
        if (joined.Config.BroadcastSince is { } sinceText)
        {
            // Resumed after the reply (and released by the join whatever happens).
            start.BroadcastResume = subscription;
            var prepared = await _tables.PrepareResumeAsync(subscription, since, sinceEpoch, cancellationToken);
            if (prepared.Result == TableSubscribeResult.Ready)
            {
                start.BroadcastOffset = sinceText;
                return null;
            }
            start.BroadcastResume = null;
            if (prepared.Result == TableSubscribeResult.InvalidOffset)
                return "InvalidJoinPayload: config.broadcast \"since\" is not an offset issued by Sluice: it lies beyond the database's WAL";
            // From another epoch: live from now, and the client is told.
            start.BroadcastOffset = _tables.GoLive(subscription).Detail!;
            start.Notices.Add(SupabaseFrames.BroadcastResyncRequired(version, joined.JoinRef, joined.Topic, start.BroadcastOffset,
                "resync_required: the offset in config.broadcast.since is from another log epoch (the replication slot was recreated or the database restored); database broadcasts are live from now, and those sent before may be missing"));
            return null;
        }
        start.BroadcastOffset = _tables.GoLive(subscription).Detail!;
        return null;
    }

    /// <summary>
    /// Reads the messages <c>config.broadcast.replay</c> asks for (after the subscription's interest is acquired) and waits
    /// until the change log holds everything that read may have seen; the subscription then starts right after it
    /// (<see cref="CompleteReplay"/>), so no replayed message comes again live and none sent meanwhile is missed. Supabase's
    /// refusal when the messages cannot be read (logged), else null.
    /// </summary>
    private async Task<string?> PrepareReplayAsync(JoinedChannel joined, Subscription subscription, ReplayRequest replay, JoinStart start,
        CancellationToken cancellationToken)
    {
        _tables.AcquireForSnapshot(subscription);
        var prepared = false;
        try
        {
            var stored = await databaseBroadcasts.ReadNewestAsync(joined.SubTopic, joined.Config.Private, replay.Since, replay.Limit,
                rooms.Options.MaxPayloadBytes, cancellationToken);
            await _tables.CatchUpToSnapshotAsync(subscription, stored.Visibility, cancellationToken);
            // Released by the join whatever happens from here.
            start.Replay = (subscription, stored);
            prepared = true;
            return null;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            LogReplayFailed(connection.Id, joined.SubTopic, ex);
            return ReplayRequest.Failed;
        }
        finally
        {
            if (!prepared)
                _tables.Release(subscription);
        }
    }

    /// <summary>
    /// Queues the join reply (its <c>broadcast.offset</c> where the read messages end), the replayed messages oldest first,
    /// then the channel's database broadcasts the read did not see, and goes live. When those have left the retention window
    /// meanwhile, the channel goes live from now and is told it may have missed some.
    /// </summary>
    private void CompleteReplay(JoinedChannel joined, string? reference, IReadOnlyList<PostgresChangesBinding> bindings, JoinStart start,
        (Subscription Subscription, StoredBroadcasts Stored) replay)
    {
        var frames = new List<byte[]>(replay.Stored.Messages.Count + 1) { Array.Empty<byte>() };
        foreach (var stored in replay.Stored.Messages)
            frames.Add(SupabaseDatabaseBroadcastFormat.Replayed(version, joined.JoinRef, joined.Topic, stored));
        var completed = _tables.CompleteFromSnapshot(replay.Subscription, replay.Stored.Visibility, offset =>
        {
            frames[0] = SupabaseFrames.JoinReply(version, joined.JoinRef, reference, joined.Topic, bindings, start.Offsets, offset);
            return frames;
        });
        if (completed.Result == TableSubscribeResult.SnapshotSent)
            return;
        var live = _tables.GoLive(replay.Subscription).Detail!;
        connection.TryEnqueue(SupabaseFrames.JoinReply(version, joined.JoinRef, reference, joined.Topic, bindings, start.Offsets, live));
        foreach (var frame in frames.Skip(1))
            connection.TryEnqueue(frame);
        connection.TryEnqueue(SupabaseFrames.BroadcastResyncRequired(version, joined.JoinRef, joined.Topic, live,
            "resync_required: database broadcasts sent while the replay was read have left the retention window; they are live from now, and some may be missing"));
    }

    /// <summary>
    /// Supabase's refusal of the join's <c>config.broadcast.replay</c>, checked in its order: a private channel that may not
    /// read the topic's broadcasts, any replay on a public channel, parameters it cannot use; else null, with the replay
    /// to do (null when none is asked, or the value is not an object, which Supabase ignores).
    /// </summary>
    private static string? ReplayRefusal(JsonElement payload, string subTopic, JoinConfig config, TopicReadAccess read, out ReplayRequest? replay)
    {
        replay = null;
        var ask = ReplayRequest.Read(payload, out var request);
        if (ask == ReplayAsk.None)
            return null;
        if (config.Private && !read.Broadcast)
            return $"Unauthorized: You do not have permissions to read from this Channel topic: {subTopic}";
        if (!config.Private)
            return ReplayRequest.NotOnPublicChannels;
        if (ask == ReplayAsk.Invalid)
            return ReplayRequest.InvalidParameters;
        if (ask == ReplayAsk.Valid)
            replay = request;
        return null;
    }

    /// <summary>
    /// The connection's table subscriptions (<c>postgres_changes</c>), which count against the channel limit with the joined
    /// channels; a channel's database-broadcast subscription is part of the channel, counted once with it.
    /// </summary>
    private int TableSubscriptionCount()
    {
        var count = 0;
        foreach (var subscription in services.Router.SubscriptionsOf(connection))
        {
            if (!subscription.ReadsDatabaseBroadcastsAsServer)
                count++;
        }
        return count;
    }

    /// <summary>
    /// Subscribes one binding through the router, like a native live subscription (one subscription per table: a binding
    /// without a table covers the realtime-enabled tables of its schema at join time); the refusal's reason or null.
    /// A binding with <c>since</c> is prepared here and resumed by the caller after the join reply.
    /// </summary>
    private async Task<string?> SubscribeAsync(JoinedChannel joined, PostgresChangesBinding binding, int index, JoinStart start, CancellationToken cancellationToken)
    {
        if (binding.Table is not null)
            return await SubscribeTableAsync(joined, binding, binding.Table, index, start, cancellationToken);
        if (binding.Filter is not null)
            return "Unable to subscribe to changes with given parameters: a filter needs a table";
        foreach (var table in await services.Catalog.RealtimeTablesAsync(binding.Schema, cancellationToken))
        {
            var refusal = await SubscribeTableAsync(joined, binding, table, index, start, cancellationToken);
            // A table this token may not read is left out of a schema-wide binding, not an error.
            if (refusal is not null && !refusal.StartsWith("Unauthorized", StringComparison.Ordinal))
                return refusal;
        }
        return null;
    }

    private async Task<string?> SubscribeTableAsync(JoinedChannel joined, PostgresChangesBinding binding, string table, int index, JoinStart start,
        CancellationToken cancellationToken)
    {
        var resolved = await _tables.ResolveAsync(connection, binding.Schema, table, binding.Filter, cancellationToken);
        switch (resolved.Result)
        {
            case TableSubscribeResult.NotFound:
                return $"Unable to subscribe to changes with given parameters: table {binding.Schema}.{table} does not exist";
            case TableSubscribeResult.NotEnabled:
                return $"Unable to subscribe to changes with given parameters: realtime is not enabled for {binding.Schema}.{table}; run SELECT enable_realtime('{binding.Schema}', '{table}')";
            case TableSubscribeResult.InvalidFilter:
                return $"Unable to subscribe to changes with given parameters: invalid filter: {resolved.Detail}";
            case TableSubscribeResult.Forbidden:
                return $"Unauthorized: {resolved.Detail}";
        }
        var lookedUp = resolved.Table!;
        var filter = resolved.Filter;

        if (binding.Select is { } select)
        {
            foreach (var column in select)
            {
                if (lookedUp.IndexOf(column) < 0)
                    return $"Unable to subscribe to changes with given parameters: select: column \"{column}\" does not exist in {binding.Schema}.{table}";
            }
        }
        var format = new SupabaseChangeFormat(version, joined.Topic, binding.Id, binding.Select, options.MaxRecordBytes, connection.Metrics);
        var routerChannel = binding.Table is null ? format.RouterChannel + "#" + table : format.RouterChannel;
        var subscription = new Subscription(connection, routerChannel, new TableKey(binding.Schema, table),
            binding.Events, binding.Filter, filter, filter is null ? null : lookedUp)
        {
            Format = format,
            RelationId = lookedUp.RelationId,
        };
        if (!joined.RouterChannels.Contains(routerChannel))
            joined.RouterChannels.Add(routerChannel);
        if (binding.Since is not null)
        {
            // Resumed after the reply (and released by the join whatever happens); from here on every dispatched change
            // carries this group's verdict.
            start.Resumes.Add((subscription, binding));
            var prepared = await _tables.PrepareResumeAsync(subscription, binding.SinceOffset, binding.SinceEpoch, cancellationToken);
            if (prepared.Result == TableSubscribeResult.Ready)
            {
                start.Offsets[index] = binding.Since;
                return null;
            }
            // Not resumable, and nothing acquired.
            start.Resumes.RemoveAt(start.Resumes.Count - 1);
            if (prepared.Result == TableSubscribeResult.InvalidOffset)
                return "InvalidJoinPayload: postgres_changes \"since\" is not an offset issued by Sluice: it lies beyond the database's WAL";
        }
        // Live (also when "since" is from another epoch: the client is told to refetch, below).
        var offset = _tables.GoLive(subscription).Detail!;
        if (start.Offsets[index] is null || string.CompareOrdinal(offset, start.Offsets[index]) > 0)
            start.Offsets[index] = offset;
        if (binding.Since is not null && !start.Notified.Contains(binding.Id))
        {
            start.Notified.Add(binding.Id);
            start.Notices.Add(SupabaseFrames.ResyncRequired(version, joined.JoinRef, joined.Topic, binding.Id, offset,
                "resync_required: the offset in since is from another log epoch (the replication slot was recreated or the database restored); the binding is live from now, so refetch what you show"));
        }
        return null;
    }

    private void Leave(PhoenixMessage message)
    {
        connection.TryEnqueue(SupabaseFrames.ReplyOk(version, message.JoinRef, message.Ref, message.Topic));
        if (_channels.Remove(message.Topic, out var channel))
        {
            EndChannel(channel);
            connection.TryEnqueue(SupabaseFrames.Close(version, channel.JoinRef, message.Topic));
        }
    }

    private async Task RefreshTokenAsync(JoinedChannel channel, PhoenixMessage message, CancellationToken cancellationToken)
    {
        var result = await tokens.ForRefreshAsync(message.Payload, cancellationToken);
        if (result is null)
            return;
        if (!result.Succeeded)
        {
            LogRefreshRejected(connection.Id, result.ErrorCode!);
            _channels.Remove(channel.Topic);
            EndChannel(channel);
            connection.TryEnqueue(SupabaseFrames.System(version, channel.JoinRef, channel.Topic, "system", ok: false, result.ErrorMessage!));
            connection.TryEnqueue(SupabaseFrames.Close(version, channel.JoinRef, channel.Topic));
            return;
        }
        // The token is the connection's, for all its channels: every private channel is checked under it before it applies.
        foreach (var joined in _channels.Values.Where(static c => c.Config.Private).ToList())
            await RecheckPrivateAsync(joined, result.Identity!, cancellationToken);
        UseIdentity(result.Identity!);
    }

    private void UseIdentity(ConnectionIdentity identity)
    {
        var current = connection.Identity;
        if (current.ClaimSetKey != identity.ClaimSetKey || current.ExpiresAt != identity.ExpiresAt || auth.CheckExpired())
            auth.Refresh(identity);
    }

    /// <summary>
    /// The token expired (delivery has been paused since): like Supabase, every channel ends with a <c>system</c> error
    /// and <c>phx_close</c>, and the client does not rejoin them by itself.
    /// </summary>
    private void EndAllForExpiredToken()
    {
        var message = ExpiredMessage(connection.Identity.ExpiresAt, TimeProvider.System.GetUtcNow());
        foreach (var channel in _channels.Values)
        {
            EndChannel(channel);
            connection.TryEnqueue(SupabaseFrames.System(version, channel.JoinRef, channel.Topic, "system", ok: false, message));
            connection.TryEnqueue(SupabaseFrames.Close(version, channel.JoinRef, channel.Topic));
        }
        _channels.Clear();
    }

    /// <summary>Supabase's wording: <c>Token has expired N seconds ago</c>.</summary>
    internal static string ExpiredMessage(DateTimeOffset? expiresAt, DateTimeOffset now) =>
        expiresAt is { } exp
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Token has expired {Math.Max(0, (long)(now - exp).TotalSeconds)} seconds ago")
            : "Token has expired";

    private void EndChannel(JoinedChannel channel)
    {
        rooms.Unsubscribe(connection, channel.Room);
        foreach (var routerChannel in channel.RouterChannels)
            services.Router.Unsubscribe(connection, routerChannel, confirmation: null);
        channel.RouterChannels.Clear();
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "…");

    /// <summary>What a join collects before its reply: each binding's start offset, bindings to resume, notices to send.</summary>
    private sealed class JoinStart(int bindings)
    {
        public string?[] Offsets { get; } = new string?[bindings];
        public List<(Subscription Subscription, PostgresChangesBinding Binding)> Resumes { get; } = [];
        public List<byte[]> Notices { get; } = [];
        public HashSet<int> Notified { get; } = [];

        /// <summary>The channel's database-broadcast subscription when it resumes after <c>config.broadcast.since</c>.</summary>
        public Subscription? BroadcastResume { get; set; }

        /// <summary>
        /// The channel's database-broadcast subscription and the messages read for <c>config.broadcast.replay</c>: queued after the
        /// join reply, and the subscription goes on right after them.
        /// </summary>
        public (Subscription Subscription, StoredBroadcasts Stored)? Replay { get; set; }

        /// <summary>Where the channel's database broadcasts start (the join reply's <c>broadcast.offset</c>); null without them.</summary>
        public string? BroadcastOffset { get; set; }
    }

    private sealed class JoinedChannel(string topic, string joinRef, string subTopic, string room, JoinConfig config)
    {
        public string Topic { get; } = topic;
        public string JoinRef { get; } = joinRef;

        /// <summary>The topic without <c>realtime:</c>: what <c>realtime.topic()</c> returns to the policies.</summary>
        public string SubTopic { get; } = subTopic;

        /// <summary>The room the channel joined: the sub-topic, or a private topic's own room (<see cref="PrivateTopicAuthorization.RoomOf"/>).</summary>
        public string Room { get; } = room;

        /// <summary>What the channel may read: everything on a public channel; on a private one, what its policies or rules allow.</summary>
        public TopicReadAccess Read { get; set; }

        /// <summary>The channel's room membership, once joined.</summary>
        public SupabaseRoomMember? Member { get; set; }

        /// <summary>A private channel's write decisions so far (asked at the first send or track; forgotten when the token changes).</summary>
        public Dictionary<TopicExtension, TopicWriteDecision> Writes { get; } = [];
        public JoinConfig Config { get; } = config;
        public bool Self => Config.BroadcastSelf;
        public bool Ack => Config.BroadcastAck;
        public string PresenceKey { get; } = string.IsNullOrEmpty(config.PresenceKey) ? Guid.NewGuid().ToString() : config.PresenceKey;
        public List<string> RouterChannels { get; } = [];
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Supabase connection {ConnectionId} received nothing for {Seconds} s; closing it")]
    private partial void LogIdle(long connectionId, long seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Supabase connection {ConnectionId}: ignored a frame ({Reason})")]
    private partial void LogBadFrame(long connectionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Supabase connection {ConnectionId}: database query failed")]
    private partial void LogDatabaseError(Exception exception, long connectionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Supabase connection {ConnectionId}: token refresh refused ({Code})")]
    private partial void LogRefreshRejected(long connectionId, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Supabase connection {ConnectionId}: the policies on realtime.messages for topic {Topic} could not be asked ({Failure}: {Reason}); refused")]
    private partial void LogTopicCheckFailed(long connectionId, string topic, TopicProbeFailure failure, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Supabase connection {ConnectionId}: the stored messages of topic {Topic} could not be read for a replay; the join was refused")]
    private partial void LogReplayFailed(long connectionId, string topic, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Supabase connection {ConnectionId}: handling a message failed")]
    private partial void LogFrameFailed(Exception exception, long connectionId);
}
