namespace Sluice.Client;

/// <summary>The presence of a room changed: entries joined (or were updated: the old entry leaves, the new one joins) or left.</summary>
/// <param name="joins">The entries that joined.</param>
/// <param name="leaves">The entries that left.</param>
/// <param name="presence">The room's presence after the change.</param>
/// <param name="isSync">Whether a <c>presence_state</c> replaced the whole view.</param>
public sealed class PresenceChangedEventArgs(
    IReadOnlyList<PresenceEntry> joins,
    IReadOnlyList<PresenceEntry> leaves,
    IReadOnlyDictionary<string, IReadOnlyList<PresenceEntry>> presence,
    bool isSync) : EventArgs
{
    /// <summary>The entries that joined (an updated entry appears here with its new state and in <see cref="Leaves"/> with its old one).</summary>
    public IReadOnlyList<PresenceEntry> Joins { get; } = joins;

    /// <summary>The entries that left.</summary>
    public IReadOnlyList<PresenceEntry> Leaves { get; } = leaves;

    /// <summary>The room's presence after the change: key → entries. Immutable.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<PresenceEntry>> Presence { get; } = presence;

    /// <summary>
    /// True when the server's full presence (<c>presence_state</c>, sent after every subscribe, so after every
    /// reconnect) replaced the view; <see cref="Joins"/> and <see cref="Leaves"/> are then the difference to the
    /// previous view. False for an incremental change (<c>presence_diff</c>).
    /// </summary>
    public bool IsSync { get; } = isSync;
}
