namespace Sluice.Client;

/// <summary>A message broadcast to a room.</summary>
/// <typeparam name="T">The payload type (<see cref="System.Text.Json.JsonElement"/> for untyped access).</typeparam>
/// <param name="Event">The event name given by the publisher, e.g. <c>cursor</c>.</param>
/// <param name="Payload">The payload.</param>
/// <param name="Offset">The message's offset in the room: opaque, increasing in publish order, used to resume.</param>
public sealed record RoomMessage<T>(string Event, T Payload, string Offset);
