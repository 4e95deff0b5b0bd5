using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Filters;
using Sluice.Server.Log;

namespace Sluice.Server.Routing;

/// <summary>One connection's interest in one table channel. Mutated only under the router's lock.</summary>
internal sealed class Subscription(ISubscriberSink connection, string channel, TableKey table, ChangeEvents events, string? filterText, RowFilter? filter, TableSchema? boundTo)
{
    /// <summary>The connection the subscription belongs to, as the router sees it: where its frames go.</summary>
    public ISubscriberSink Connection { get; } = connection;
    public string Channel { get; } = channel;
    public TableKey Table { get; } = table;
    public ChangeEvents Events { get; } = events;
    public string? FilterText { get; } = filterText;

    /// <summary>
    /// The table's OID when the subscription was made (0 when unknown): a change of that relation under another name means
    /// the table was renamed or moved to another schema, which ends the subscription.
    /// </summary>
    public uint RelationId { get; init; }

    /// <summary>How this subscription's frames are written; every subscription of one channel must use the same format.</summary>
    public required ChangeFrameFormat Format { get; init; }

    /// <summary>
    /// Set only by <see cref="ForDatabaseBroadcasts"/>, never for a client's table subscription: the subscription carries a
    /// channel's database broadcasts (<see cref="DatabaseBroadcastRows"/>) and reads <c>realtime.messages</c> as the server.
    /// Whether the channel may receive them was decided when it was admitted (its topic and privacy, see
    /// <see cref="DatabaseBroadcasts"/>), not per row: the table's policies test <c>realtime.topic()</c>, a setting of the
    /// writing session, so judging each row for the receiver's role would deny everything. Its filter pins the rows to
    /// exactly that topic and privacy. It joins no access group (<see cref="AccessInterest"/>): no row check runs for it, and
    /// <see cref="RowSecurityGate"/> lets through only rows of <c>realtime.messages</c> on its account.
    /// </summary>
    public bool ReadsDatabaseBroadcastsAsServer { get; private init; }

    /// <summary>
    /// Set only by <see cref="ForDatabaseBroadcasts"/>: a message whose payload is larger (UTF-8 bytes of its JSON) is not
    /// delivered, and the client is told (<see cref="SubscriptionMatch.Result.TooLarge"/>), as a client's broadcast over the
    /// limit is refused: one message never occupies a connection's queue (and closes it as a slow consumer).
    /// </summary>
    public int? MaxPayloadBytes { get; private init; }

    /// <summary>
    /// The subscription of <paramref name="connection"/> to <paramref name="topic"/>'s database broadcasts of one privacy
    /// (INSERTs of <paramref name="messages"/>, <c>realtime.messages</c> as looked up, matching
    /// <see cref="DatabaseBroadcastRows.FilterFor"/>); null when that filter does not fit the table (a <c>realtime.messages</c>
    /// of another shape: nothing is delivered). The caller has admitted the receiver for that topic and privacy.
    /// </summary>
    public static Subscription? ForDatabaseBroadcasts(ISubscriberSink connection, string channel, string topic, bool privateMessages,
        TableSchema messages, ChangeFrameFormat format, int maxPayloadBytes)
    {
        if (!DatabaseBroadcastRows.IsMessagesTable(messages))
            return null;
        var filterText = DatabaseBroadcastRows.FilterFor(topic, privateMessages);
        if (!RowFilter.TryParse(filterText, messages, out var filter, out _))
            return null;
        return new Subscription(connection, channel, DatabaseBroadcastRows.Key, ChangeEvents.Insert, filterText, filter, messages)
        {
            Format = format,
            RelationId = messages.RelationId,
            ReadsDatabaseBroadcastsAsServer = true,
            MaxPayloadBytes = maxPayloadBytes,
        };
    }

    /// <summary>The filter bound to the column positions of <see cref="BoundTo"/>; null without a filter.</summary>
    public RowFilter? Filter { get; internal set; } = filter;

    /// <summary>The schema the filter is bound to (shared with capture after the first change); null without a filter.</summary>
    public TableSchema? BoundTo { get; internal set; } = boundTo;

    /// <summary>Changes at or before this offset are not delivered (the client has them).</summary>
    public ChangeOffset ResumeAfter { get; internal set; }

    /// <summary>
    /// The offset of the last change queued to the connection (where the subscription started until then): delivery
    /// continues right after it when a paused connection resumes, or one that fell behind has drained its queue.
    /// </summary>
    public ChangeOffset LastDelivered { get; internal set; }

    /// <summary>
    /// The snapshot whose catch-up waits for the connection's delivery to continue (it was suspended when the snapshot
    /// completed): the catch-up then skips the changes that snapshot contains. Null otherwise.
    /// </summary>
    internal Snapshots.SnapshotVisibility? DeferredVisibility { get; set; }

    /// <summary>
    /// The access group whose row-level security verdicts apply (from the connection's identity when the subscription
    /// was registered with <see cref="SubscriptionRouter.Acquire"/>); null until then.
    /// </summary>
    public RowSecurity.AccessGroup? Group { get; internal set; }

    /// <summary>Counted in the <see cref="AccessInterest"/> of <see cref="Group"/> in <see cref="Table"/> (released once, when it ends).</summary>
    internal bool HoldsInterest { get; set; }

    /// <summary>The commit LSN of the last transaction whose failed access check was reported to the client (once per transaction).</summary>
    internal ulong ReportedFailureLsn { get; set; }

    /// <summary>The commit LSN of the last transaction whose changes the filter ran out of time on, as reported to the client.</summary>
    internal ulong ReportedFilterLsn { get; set; }

    /// <summary>The commit LSN of the last transaction with a message over <see cref="MaxPayloadBytes"/>, as reported to the client.</summary>
    internal ulong ReportedTooLargeLsn { get; set; }

    /// <summary>The newest matching change of the current transaction, held back until we know whether it ends it (see <see cref="TransactionHoldBack"/>).</summary>
    internal FrameSource? Pending { get; set; }

    /// <summary>Listed in the <see cref="TransactionHoldBack"/> among the subscriptions to flush when the current transaction ends.</summary>
    internal bool PendingTracked { get; set; }
}
