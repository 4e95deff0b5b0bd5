using System.Text.Json;

namespace Sluice.Client;

/// <summary>
/// One tracked presence in a room: a connection that called <see cref="RoomChannel.TrackAsync{T}"/> (or the server's
/// equivalent), under its <see cref="Key"/>. One key may have several entries (the same user on two devices).
/// </summary>
public sealed class PresenceEntry
{
    private readonly ISluiceSerializer _serializer;

    internal PresenceEntry(string key, string reference, JsonElement state, ISluiceSerializer serializer)
    {
        Key = key;
        Ref = reference;
        State = state;
        _serializer = serializer;
    }

    /// <summary>The entry's key: the one given to <see cref="RoomChannel.TrackAsync{T}"/>, else the token's <c>sub</c>, else <c>conn-&lt;connection id&gt;</c>.</summary>
    public string Key { get; }

    /// <summary>Identifies the tracking connection's entry (a connection has at most one entry per room).</summary>
    public string Ref { get; }

    /// <summary>The tracked state, a JSON object.</summary>
    public JsonElement State { get; }

    /// <summary>The tracked state deserialized to <typeparamref name="T"/> with the client's serializer.</summary>
    /// <typeparam name="T">The state type.</typeparam>
    public T GetState<T>() =>
        typeof(T) == typeof(JsonElement)
            ? (T)(object)State
            : _serializer.Deserialize<T>(State.ValueKind == JsonValueKind.Undefined ? "null"u8 : System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(State));

    /// <summary>Whether <paramref name="other"/> is the same entry with the same state.</summary>
    internal bool SameAs(PresenceEntry other) =>
        Key == other.Key && Ref == other.Ref && JsonElement.DeepEquals(State, other.State);

    /// <inheritdoc/>
    public override string ToString() => $"{Key}/{Ref}: {(State.ValueKind == JsonValueKind.Undefined ? "null" : State.GetRawText())}";
}
