using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Filters;
using Sluice.Server.Log;

namespace Sluice.Server.Routing;

/// <summary>
/// Whether a change is one a subscription asked for: one of its events, and a row its filter accepts (the filter is bound
/// again when the table's definition changed, and the subscription no longer applies when it does not fit any more).
/// </summary>
/// <remarks>
/// Only called under <see cref="SubscriptionRouter"/>'s lock: it rebinds the subscription's <see cref="Subscription.Filter"/>
/// and records what it reported to the client.
/// </remarks>
internal static class SubscriptionMatch
{
    /// <summary>What <see cref="Of"/> found.</summary>
    public enum Result
    {
        /// <summary>Not for this subscription.</summary>
        Skip,
        /// <summary>For this subscription (row-level security still decides whether and how it sees it).</summary>
        Matches,
        /// <summary>The filter no longer fits the table: the subscription ends.</summary>
        Invalidated,
        /// <summary>The filter ran out of time on the row (see <see cref="ReportFilterExceeded"/>).</summary>
        Exceeded,
        /// <summary>A database broadcast over the subscription's payload limit (see <see cref="ReportTooLarge"/>).</summary>
        TooLarge,
    }

    public static Result Of(Subscription subscription, RowChange change)
    {
        var kind = change.Kind switch
        {
            ChangeKind.Insert => ChangeEvents.Insert,
            ChangeKind.Update => ChangeEvents.Update,
            ChangeKind.Delete => ChangeEvents.Delete,
            _ => ChangeEvents.Truncate,
        };
        if ((subscription.Events & kind) == 0)
            return Result.Skip;
        if (subscription.FilterText is null || kind == ChangeEvents.Truncate)
            return Result.Matches;
        if (!ReferenceEquals(subscription.BoundTo, change.Table))
        {
            if (!RowFilter.TryParse(subscription.FilterText, change.Table, out var filter, out _))
                return Result.Invalidated;
            subscription.Filter = filter;
            subscription.BoundTo = change.Table;
        }
        return subscription.Filter!.Evaluate(change.FilterRow) switch
        {
            FilterTruth.True when subscription.MaxPayloadBytes is { } max && DatabaseBroadcastRows.PayloadExceeds(change, max) => Result.TooLarge,
            FilterTruth.True => Result.Matches,
            FilterTruth.Exceeded => Result.Exceeded,
            _ => Result.Skip,
        };
    }

    /// <summary>
    /// A database broadcast is larger than the subscription's payload limit: it is not delivered, and the client is told once
    /// per transaction which offset it concerns.
    /// </summary>
    public static void ReportTooLarge(Subscription subscription, LogEntry entry)
    {
        if (subscription.ReportedTooLargeLsn == entry.Offset.CommitLsn)
            return;
        subscription.ReportedTooLargeLsn = entry.Offset.CommitLsn;
        subscription.Format.Error(subscription.Connection, subscription.Channel, ErrorCodes.PayloadTooLarge,
            $"the database broadcast at offset {entry.OffsetText} (and possibly later ones of its transaction) has a payload larger than the maximum of {subscription.MaxPayloadBytes} bytes; it is not delivered", ended: false);
    }

    /// <summary>
    /// The subscription's filter ran out of time on a change (a regular expression, see <see cref="RowFilter"/>): the change
    /// is withheld, as fail-closed requires, and the client is told once per transaction which offset it concerns.
    /// </summary>
    public static void ReportFilterExceeded(Subscription subscription, LogEntry entry)
    {
        if (subscription.ReportedFilterLsn == entry.Offset.CommitLsn)
            return;
        subscription.ReportedFilterLsn = entry.Offset.CommitLsn;
        subscription.Format.Error(subscription.Connection, subscription.Channel, ErrorCodes.FilterTooCostly,
            $"the filter took longer than {FilterRegex.MatchTimeout.TotalMilliseconds} ms on the change at offset {entry.OffsetText} (and possibly later ones of its transaction); they are withheld from this subscription", ended: false);
    }
}
