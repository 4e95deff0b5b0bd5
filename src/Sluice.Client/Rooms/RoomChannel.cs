using System.Text.Json;
using Sluice.Client.Channels;
using Sluice.Protocol;

namespace Sluice.Client;

/// <summary>
/// A room channel (<c>room:&lt;name&gt;</c>), made with <see cref="SluiceClient.Room"/>: publish messages with
/// <see cref="BroadcastAsync{T}"/>, receive them with <see cref="On{T}(string, Action{T})"/>,
/// <see cref="OnMessage(Action{RoomMessage{JsonElement}})"/> or <see cref="ReadMessagesAsync{T}"/>, see who is
/// there with <see cref="TrackAsync{T}"/>, <see cref="Presence"/> and <see cref="PresenceChanged"/>, and receive what the
/// database sends to the room's topic with <see cref="OnDatabaseBroadcast{T}(string?, Action{DatabaseBroadcast{T}})"/>.
/// </summary>
/// <remarks>
/// Handlers and events run one at a time in the room's order on the room's dispatcher, never on the socket reader. After
/// a reconnect the room resumes after the last message it received (<c>since</c>), so nothing is missed while the
/// server's room history reaches back that far; when it does not (<c>resync_required</c>) the room subscribes again
/// from the present and raises <see cref="ResyncRequired"/>: messages in the gap are lost. The last tracked presence is
/// tracked again automatically after every reconnect, and the presence view is rebuilt from the server's new
/// <c>presence_state</c>, raising <see cref="PresenceChanged"/> with the difference. Dispose to leave the room (which
/// also untracks).
/// </remarks>
public sealed partial class RoomChannel : IChannelConsumer, IAsyncDisposable, IDisposable
{
    private readonly SluiceClient _client;
    private readonly ISluiceSerializer _serializer;

    /// <summary>Completes at the room's next ack; guarded by the state's gate.</summary>
    private TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Why the server last refused the subscription, until the next ack; guarded by the state's gate.</summary>
    private SluiceException? _refusal;

    internal RoomChannel(SluiceClient client, string name, ISluiceSerializer serializer)
    {
        _client = client;
        _serializer = serializer;
        Name = name;
        Channel = RoomChannels.ForName(name);
    }

    /// <summary>The room's name, e.g. <c>lobby</c>.</summary>
    public string Name { get; }

    /// <summary>The channel name, <c>room:&lt;name&gt;</c>.</summary>
    public string Channel { get; }

    /// <summary>Where a reconnect resumes: the offset of the last message received, or before the first the offset from
    /// the room's <c>ack</c>; null until subscribed.</summary>
    public string? LastOffset
    {
        get
        {
            lock (State.Gate)
                return State.LastOffset;
        }
    }

    /// <summary>Whether the room is subscribed on the current connection.</summary>
    public bool IsSubscribed
    {
        get
        {
            var session = _client.CurrentSession;
            lock (State.Gate)
                return session is not null && IsSubscribedOn(session.Id);
        }
    }

    internal ChannelState State { get; set; } = null!;

    /// <summary>
    /// Completes when the room is subscribed on the current connection (at once if it is). Throws
    /// <see cref="SluiceException"/> with the server's code when the server refused the subscription (for example
    /// <c>forbidden</c> for a private room), and <see cref="ObjectDisposedException"/> once the room is disposed.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitUntilSubscribedAsync(CancellationToken cancellationToken = default)
    {
        var session = _client.CurrentSession;
        lock (State.Gate)
        {
            if (State.Closed)
                return Task.FromException(new ObjectDisposedException(nameof(RoomChannel), $"the room {Name} was disposed"));
            if (session is not null && IsSubscribedOn(session.Id))
                return Task.CompletedTask;
            if (session is not null && _refusal is { } refusal && State.PhaseIn(session.Id) == ChannelPhase.Failed)
                return Task.FromException(refusal);
            if (_subscribed.Task.IsCompleted)
                _subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _subscribed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Publishes a message to everyone in the room (and to this client too with <see cref="BroadcastOptions.Self"/>).
    /// Waits until the room is subscribed (bound the wait with <paramref name="cancellationToken"/>).
    /// </summary>
    /// <typeparam name="T">The payload type; serialized with the client's serializer (any JSON value).</typeparam>
    /// <param name="event">The event name, 1–100 characters, e.g. <c>cursor</c>.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="options">Self delivery and acknowledgement; default neither.</param>
    /// <param name="cancellationToken">Stops waiting (for the subscription, or for the ack).</param>
    /// <returns>With <see cref="BroadcastOptions.Ack"/>, the offset the server gave the message; otherwise null, once the frame is sent.</returns>
    /// <exception cref="SluiceException">The server refused the message (<c>Code</c> is the server's, e.g.
    /// <c>payload_too_large</c>, <c>forbidden</c>, <c>not_subscribed</c>; only with <see cref="BroadcastOptions.Ack"/>),
    /// the room's subscription was refused, or the connection was lost before the frame was sent or acknowledged
    /// (<see cref="ClientErrorCodes.ConnectionLost"/>; the message may or may not have been published).</exception>
    public async Task<string?> BroadcastAsync<T>(string @event, T payload, BroadcastOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        if (@event.Length > RoomChannels.MaxEventLength)
            throw new ArgumentException($"an event name has at most {RoomChannels.MaxEventLength} characters", nameof(@event));
        var json = SerializeValue(payload);
        return await _client.PublishAsync(this, @event, json, options ?? Defaults, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops delivery at once (no handler or event handler call begins after this returns its task), forgets the tracked
    /// presence and leaves the room on the server (which untracks it there); the task completes once the unsubscribe was
    /// sent and a handler call still running has finished (unless called from a handler of this room).
    /// </summary>
    public Task UnsubscribeAsync() => _client.CloseChannelAsync(State, sendUnsubscribe: true);

    /// <summary>Same as <see cref="UnsubscribeAsync"/>: stops delivery at once, then waits for the unsubscribe to be sent
    /// and for a running handler call to finish.</summary>
    public async ValueTask DisposeAsync() => await UnsubscribeAsync().ConfigureAwait(false);

    /// <summary>
    /// Stops delivery at once: once this returns, no handler or event handler call begins (neither the next handler of the
    /// message being delivered nor the next message), message streams yield nothing more, and <see cref="Presence"/> is
    /// empty. A handler call already running finishes on its own; this does not wait for it. Leaving the room is sent in
    /// the background; use <see cref="DisposeAsync"/> to wait for it.
    /// </summary>
    public void Dispose() => _ = UnsubscribeAsync();

    private static readonly BroadcastOptions Defaults = new();

    /// <summary>Subscribed on that connection: acknowledged there (a paused room is still subscribed on the server).</summary>
    internal bool IsSubscribedOn(long sessionId) => State.PhaseIn(sessionId) is ChannelPhase.Live or ChannelPhase.Paused;

    /// <summary>The server acknowledged the room's subscription: wake waiters and track the presence again.</summary>
    internal void OnSubscribed()
    {
        lock (State.Gate)
        {
            _refusal = null;
            _subscribed.TrySetResult();
        }
        _ = SendPresenceAsync(CancellationToken.None);
    }

    /// <summary>The server refused the room's subscription: waiters fail with its code.</summary>
    internal void OnRefused(string code, string message)
    {
        var refusal = new SluiceException(code, $"the subscription to {Channel} was refused: {message}");
        TaskCompletionSource waiting;
        lock (State.Gate)
        {
            _refusal = refusal;
            waiting = _subscribed;
            _subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        waiting.TrySetException(refusal);
    }

    async ValueTask IChannelConsumer.ConsumeAsync(ChannelItem item)
    {
        switch (item)
        {
            case RoomMessageItem message:
                foreach (var handler in _messageHandlers.Items)
                    await InvokeAsync(handler, message.Message).ConfigureAwait(false);
                break;
            case PresenceStateItem state:
                ApplyPresenceState(state.Presences);
                break;
            case PresenceDiffItem diff:
                ApplyPresenceDiff(diff.Joins, diff.Leaves);
                break;
            case ResyncItem resync:
                RaiseResync(resync);
                break;
            case DatabaseBroadcastItem database:
                await ConsumeDatabaseBroadcastAsync(database.Broadcast).ConfigureAwait(false);
                break;
            case DatabaseResyncItem databaseResync:
                RaiseDatabaseResync(databaseResync);
                break;
        }
    }

    void IChannelConsumer.OnClosed()
    {
        TaskCompletionSource waiting;
        lock (State.Gate)
        {
            _tracked = null;
            waiting = _subscribed;
        }
        waiting.TrySetException(new ObjectDisposedException(nameof(RoomChannel), $"the room {Name} was disposed"));
        Volatile.Write(ref _presence, EmptyPresence);
        foreach (var onClosed in _closeHandlers.Items)
            onClosed();
    }

    private void RaiseResync(ResyncItem resync) =>
        Delivery.Raise(State, ResyncRequired, this, new RoomResyncEventArgs(resync.Reason, resync.LostAfter),
            ex => _client.ReportError(ClientErrorCodes.HandlerFailed, $"a ResyncRequired handler of {Channel} threw: {ex.Message}", Channel, ex));

    private async ValueTask InvokeAsync<TArg>(Func<TArg, ValueTask> handler, TArg argument)
    {
        if (!Delivery.IsOpen(State))
            return;
        try
        {
            await handler(argument).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            _client.ReportError(ClientErrorCodes.DeserializationFailed, ex.Message, Channel, ex);
        }
        catch (Exception ex)
        {
            _client.ReportError(ClientErrorCodes.HandlerFailed, $"a handler of {Channel} threw: {ex.Message}", Channel, ex);
        }
    }

    private byte[] SerializeValue<T>(T value) =>
        value is JsonElement element
            ? System.Text.Encoding.UTF8.GetBytes(element.ValueKind == JsonValueKind.Undefined ? "null" : element.GetRawText())
            : _serializer.Serialize(value);

    private T Deserialize<T>(JsonElement payload) =>
        typeof(T) == typeof(JsonElement) ? (T)(object)payload : _serializer.Deserialize<T>(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(payload));
}
