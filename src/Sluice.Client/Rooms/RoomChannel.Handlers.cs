using System.Text.Json;
using Sluice.Client.Channels;
using Sluice.Client.Protocol;

namespace Sluice.Client;

public sealed partial class RoomChannel
{
    private readonly HandlerList<Func<RoomMessageFrame, ValueTask>> _messageHandlers = new();
    private readonly HandlerList<Action> _closeHandlers = new();

    /// <summary>
    /// The room could not be resumed after a disconnect (<c>resync_required</c>): it was subscribed again from the
    /// present, and messages published in the gap (after <see cref="RoomResyncEventArgs.LostAfter"/>) are lost for this
    /// client. Raised on the room's dispatcher, in order with the messages. A throwing handler is reported through
    /// <see cref="SluiceClient.Error"/>.
    /// </summary>
    public event EventHandler<RoomResyncEventArgs>? ResyncRequired;

    /// <summary>Calls <paramref name="handler"/> with the payload of each message whose event is <paramref name="event"/>.</summary>
    /// <typeparam name="T">The payload type (<see cref="JsonElement"/> for untyped).</typeparam>
    /// <param name="event">The event name, e.g. <c>cursor</c>.</param>
    /// <param name="handler">Receives the payload.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable On<T>(string @event, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return On<T>(@event, payload =>
        {
            handler(payload);
            return Task.CompletedTask;
        });
    }

    /// <summary>Calls <paramref name="handler"/> with the payload of each message whose event is <paramref name="event"/>;
    /// the next message waits for the returned task.</summary>
    /// <typeparam name="T">The payload type (<see cref="JsonElement"/> for untyped).</typeparam>
    /// <param name="event">The event name, e.g. <c>cursor</c>.</param>
    /// <param name="handler">Receives the payload.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable On<T>(string @event, Func<T, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentNullException.ThrowIfNull(handler);
        return _messageHandlers.Add(async message =>
        {
            if (message.Event == @event)
                await handler(Deserialize<T>(message.Payload)).ConfigureAwait(false);
        });
    }

    /// <summary>Calls <paramref name="handler"/> with every message of the room, whatever its event, payload as JSON.</summary>
    /// <param name="handler">Receives the message.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnMessage(Action<RoomMessage<JsonElement>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return OnMessage(message =>
        {
            handler(message);
            return Task.CompletedTask;
        });
    }

    /// <summary>Calls <paramref name="handler"/> with every message of the room, payload as JSON; the next message waits
    /// for the returned task.</summary>
    /// <param name="handler">Receives the message.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnMessage(Func<RoomMessage<JsonElement>, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return _messageHandlers.Add(async message => await handler(new RoomMessage<JsonElement>(message.Event, message.Payload, message.Offset)).ConfigureAwait(false));
    }

    /// <summary>
    /// The room's messages as an asynchronous stream, from now until the room is disposed or
    /// <paramref name="cancellationToken"/> fires. A slow reader holds up this room's other handlers, not the socket.
    /// </summary>
    /// <typeparam name="T">The payload type (<see cref="JsonElement"/> for untyped; use it when events carry different types).</typeparam>
    /// <param name="event">Only messages with this event; null for all.</param>
    /// <param name="cancellationToken">Ends the stream.</param>
    public IAsyncEnumerable<RoomMessage<T>> ReadMessagesAsync<T>(string? @event = null, CancellationToken cancellationToken = default) =>
        HandlerStream.ReadAsync<RoomMessage<T>>(
            write => _messageHandlers.Add(async message =>
            {
                if (@event is null || message.Event == @event)
                    await write(new RoomMessage<T>(message.Event, Deserialize<T>(message.Payload), message.Offset)).ConfigureAwait(false);
            }),
            _closeHandlers, State, cancellationToken);
}
