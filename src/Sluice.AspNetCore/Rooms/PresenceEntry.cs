namespace Sluice.Server.Rooms;

/// <summary>One connection's presence in a room, as every protocol writes it (each in its own shape).</summary>
/// <param name="Key">The entry's key (the client's <c>key</c>, the token's <c>sub</c>, or <c>conn-&lt;id&gt;</c>).</param>
/// <param name="Ref">Unique per track or update, so clients can tell an entry's versions apart.</param>
/// <param name="State">The tracked state object as UTF-8 JSON.</param>
internal sealed record PresenceEntry(string Key, string Ref, byte[] State);
