namespace Sluice.Server.Rooms;

/// <summary>One connection's presence in a room; <see cref="Json"/> is the entry as sent to clients.</summary>
/// <param name="Key">The entry's key (the client's <c>key</c>, the token's <c>sub</c>, or <c>conn-&lt;id&gt;</c>).</param>
/// <param name="Ref">Unique per track or update, so clients can tell an entry's versions apart.</param>
/// <param name="Json">The entry <c>{"key":…,"ref":…,"state":{…}}</c> as UTF-8 JSON.</param>
/// <param name="State">The tracked state object as UTF-8 JSON (Supabase clients get it as a presence meta).</param>
public sealed record PresenceEntry(string Key, string Ref, byte[] Json, byte[] State);
