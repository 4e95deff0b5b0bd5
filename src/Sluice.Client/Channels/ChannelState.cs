using System.Text.Json;
using System.Threading.Channels;
using Sluice.Protocol;

namespace Sluice.Client.Channels;

/// <summary>
/// One subscribed channel: what to subscribe to, where the stream stands (the last accepted offset) and the bounded
/// buffer between the socket reader and the channel's dispatcher. Fields below <see cref="Gate"/> are guarded by it.
/// </summary>
/// <remarks>
/// <see cref="SubscriptionId"/> is the id the client chose for a further subscription of a table it already subscribes to
/// (see <see cref="SluiceClient.Table"/>); null for the first one, and for rooms.
/// </remarks>
internal sealed class ChannelState(string channel, ChangeEvents events, string? filter, bool wantsSnapshot, int capacity, bool isRoom = false,
    string? subscriptionId = null)
{
    public string Channel { get; } = channel;

    /// <summary>The <c>id</c> sent with this subscription and echoed on each of its frames; null when it has none.</summary>
    public string? SubscriptionId { get; } = subscriptionId;

    /// <summary>What the client's maps are keyed by: the channel and the subscription id (<see cref="KeyOf"/>).</summary>
    public string Key { get; } = KeyOf(channel, subscriptionId);

    /// <summary>
    /// The key of (channel, id): the channel itself without an id, else channel and id joined by a NUL (no channel name or
    /// id holds one), so the subscription without an id keeps the key channels always had.
    /// </summary>
    public static string KeyOf(string channel, string? subscriptionId) =>
        subscriptionId is null ? channel : string.Concat(channel, "\0", subscriptionId);

    /// <summary>A room channel (broadcast and presence): no snapshots, room messages instead of changes.</summary>
    public bool IsRoom { get; } = isRoom;
    public ChangeEvents Events { get; } = events;
    public string? Filter { get; } = filter;

    /// <summary>Start with the current rows (live tables); otherwise only with changes.</summary>
    public bool WantsSnapshot { get; } = wantsSnapshot;

    public int Capacity { get; } = capacity;

    public Channel<ChannelItem> Buffer { get; } = System.Threading.Channels.Channel.CreateBounded<ChannelItem>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });

    public Task Dispatcher { get; set; } = Task.CompletedTask;

    public Lock Gate { get; } = new();

    public ChannelPhase Phase { get; set; }

    /// <summary>The connection the phase refers to; a phase of an older connection counts as <see cref="ChannelPhase.Idle"/>.</summary>
    public long SessionId { get; set; }

    /// <summary>The pending subscribe asked for a snapshot.</summary>
    public bool PendingSnapshot { get; set; }

    /// <summary>Another subscribe was asked for while one was pending; sent once the pending one is answered.</summary>
    public bool ResubscribeWanted { get; set; }

    /// <summary>After <c>resync_required</c>: the next subscribe asks for a snapshot even for a plain channel.</summary>
    public bool ForceSnapshot { get; set; }

    /// <summary>The offset of the last change (or snapshot) put into the buffer: where to resume.</summary>
    public string? LastOffset { get; set; }

    /// <summary>
    /// A room's position in its database broadcasts (a change-log offset, apart from the room's <see cref="LastOffset"/>): the
    /// last one put into the buffer, or before the first the room ack's <c>database_offset</c>; null to start from the present.
    /// </summary>
    public string? LastDatabaseOffset { get; set; }

    /// <summary>The rows of the snapshot being received; setting it (a new snapshot, or none) forgets <see cref="SnapshotReducedRows"/>.</summary>
    public List<JsonElement>? SnapshotRows
    {
        get => _snapshotRows;
        set
        {
            _snapshotRows = value;
            SnapshotReducedRows.Clear();
        }
    }

    /// <summary>The rows of the snapshot being received that came reduced (over the server's maximum record size).</summary>
    public List<ReducedSnapshotRow> SnapshotReducedRows { get; } = [];

    private List<JsonElement>? _snapshotRows;

    /// <summary>Counts subscribes sent; an HTTP refresh begun under an older generation is stale.</summary>
    public int Generation { get; set; }

    public bool Overflowed { get; set; }

    /// <summary>The last subscribe was refused because the token had expired; sent again once a new one is accepted.</summary>
    public bool RefusedAsExpired { get; set; }

    public bool Closed { get; set; }

    /// <summary><see cref="Closed"/> for the dispatcher, read without the lock.</summary>
    public bool ClosedFlag;

    public IChannelConsumer? Consumer { get; set; }

    /// <summary>Transient refusals (database unavailable) in a row, for the retry backoff.</summary>
    public int FailedAttempts { get; set; }

    /// <summary>When the first of <see cref="FailedAttempts"/> happened (the client's <see cref="TimeProvider"/> timestamp).</summary>
    public long FirstFailedAt { get; set; }

    public ChannelPhase PhaseIn(long sessionId) => SessionId == sessionId ? Phase : ChannelPhase.Idle;
}
