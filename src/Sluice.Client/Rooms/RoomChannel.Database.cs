using System.Text.Json;
using Sluice.Client.Channels;
using Sluice.Client.Protocol;

namespace Sluice.Client;

public sealed partial class RoomChannel
{
    private readonly HandlerList<Func<DatabaseBroadcastFrame, ValueTask>> _databaseHandlers = new();

    /// <summary>
    /// Where the room's database broadcasts resume after a reconnect: the offset of the last one received, or before the first
    /// the start the room's <c>ack</c> gave; null until subscribed, or when the server delivers none. A change-log offset,
    /// separate from <see cref="LastOffset"/> (the room's own messages).
    /// </summary>
    public string? LastDatabaseOffset
    {
        get
        {
            lock (State.Gate)
                return State.LastDatabaseOffset;
        }
    }

    /// <summary>
    /// The room's database broadcasts could not be resumed (<c>database_resync_required</c>: the change log no longer reaches
    /// back to <see cref="RoomResyncEventArgs.LostAfter"/>, it started over, or they ended): the room was subscribed again and
    /// they continue from the present; those sent in the gap are lost for this client. The room's own messages are not
    /// affected. Raised on the room's dispatcher, in order with the messages. A throwing handler is reported through
    /// <see cref="SluiceClient.Error"/>.
    /// </summary>
    public event EventHandler<RoomResyncEventArgs>? DatabaseResyncRequired;

    /// <summary>
    /// Calls <paramref name="handler"/> with each database broadcast of the room (a row of <c>realtime.messages</c> of the room's
    /// topic, see <see cref="DatabaseBroadcast{T}"/>) whose event is <paramref name="event"/> (every event when null). They come in
    /// commit order, each once, also across reconnects (the room resumes them after <see cref="LastDatabaseOffset"/>).
    /// </summary>
    /// <typeparam name="T">The payload type (<see cref="JsonElement"/> for untyped).</typeparam>
    /// <param name="event">The event name, e.g. <c>INSERT</c> for <c>realtime.broadcast_changes</c>; null for all.</param>
    /// <param name="handler">Receives the broadcast.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnDatabaseBroadcast<T>(string? @event, Action<DatabaseBroadcast<T>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return OnDatabaseBroadcast<T>(@event, broadcast =>
        {
            handler(broadcast);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Like <see cref="OnDatabaseBroadcast{T}(string?, Action{DatabaseBroadcast{T}})"/>; the next item of the room waits for the
    /// returned task.
    /// </summary>
    /// <typeparam name="T">The payload type (<see cref="JsonElement"/> for untyped).</typeparam>
    /// <param name="event">The event name; null for all.</param>
    /// <param name="handler">Receives the broadcast.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnDatabaseBroadcast<T>(string? @event, Func<DatabaseBroadcast<T>, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return _databaseHandlers.Add(async broadcast =>
        {
            if (@event is null || broadcast.Event == @event)
                await handler(new DatabaseBroadcast<T>(broadcast.Event, Deserialize<T>(broadcast.Payload), broadcast.Id, broadcast.Offset)).ConfigureAwait(false);
        });
    }

    private async ValueTask ConsumeDatabaseBroadcastAsync(DatabaseBroadcastFrame broadcast)
    {
        foreach (var handler in _databaseHandlers.Items)
            await InvokeAsync(handler, broadcast).ConfigureAwait(false);
    }

    private void RaiseDatabaseResync(DatabaseResyncItem resync) =>
        Delivery.Raise(State, DatabaseResyncRequired, this, new RoomResyncEventArgs(resync.Reason, resync.LostAfter),
            ex => _client.ReportError(ClientErrorCodes.HandlerFailed, $"a DatabaseResyncRequired handler of {Channel} threw: {ex.Message}", Channel, ex));
}
