namespace Sluice.Client;

/// <summary>
/// A database broadcast received in a room: a committed row of <c>realtime.messages</c> whose topic is the room's name, written
/// by <c>realtime.send(payload, event, topic, private)</c> or <c>realtime.broadcast_changes</c> (a public room receives the
/// public rows, a private room the private ones).
/// </summary>
/// <typeparam name="T">The payload type (<see cref="System.Text.Json.JsonElement"/> for untyped access).</typeparam>
/// <param name="Event">The row's <c>event</c>.</param>
/// <param name="Payload">The row's <c>payload</c> (<c>realtime.send</c> adds the row's <c>id</c> to it).</param>
/// <param name="Id">The row's id (a UUID); null if the row had none.</param>
/// <param name="Offset">
/// The message's position in the change log: opaque, increasing in commit order, and separate from the room's own message
/// offsets (<see cref="RoomMessage{T}.Offset"/>); the room resumes its database broadcasts after it.
/// </param>
public sealed record DatabaseBroadcast<T>(string Event, T Payload, string? Id, string Offset);
