using Sluice.Protocol;
using Sluice.Server.Log;
using Sluice.Server.RowSecurity;

namespace Sluice.Server.Routing;

/// <summary>
/// Whether row-level security lets a subscription see a change, and in which shape: the last place the decision is made,
/// from the verdict its access group got (<see cref="RowAccess"/>), and it fails closed.
/// </summary>
/// <remarks>Only called under <see cref="SubscriptionRouter"/>'s lock: it records on the subscription what it reported to the client.</remarks>
internal static class RowSecurityGate
{
    /// <summary>
    /// A change of a table with row-level security is delivered only on a verdict that allows it. A missing verdict (which
    /// the dispatch protocol rules out), a failed check, a table that is gone or a value the WAL did not carry withholds the
    /// change and tells the client once per transaction.
    /// </summary>
    public static bool Allows(Subscription subscription, LogEntry entry, out ChangeShape shape)
    {
        shape = ChangeShape.AsCaptured;
        if (entry.Change.Verdicts is not { } verdicts)
            return true;
        // The one exception, narrowed to the rows it is for: a channel's database broadcasts were authorized when the
        // channel was admitted (see Subscription.ReadsDatabaseBroadcastsAsServer); its filter pins topic and privacy.
        if (subscription.ReadsDatabaseBroadcastsAsServer && DatabaseBroadcastRows.IsMessagesTable(entry.Change.Table))
            return true;
        var verdict = subscription.Group is { } group && verdicts.TryGet(group, out var found) ? found : AccessVerdict.Failed;
        switch (verdict)
        {
            case AccessVerdict.Deliver:
                return true;
            case AccessVerdict.DeliverWithoutOld:
                shape = ChangeShape.WithoutOld;
                return true;
            case AccessVerdict.MoveOut:
                shape = ChangeShape.AsDelete;
                return true;
            case AccessVerdict.Hidden:
                return false;
            default:
                if (subscription.ReportedFailureLsn != entry.Offset.CommitLsn)
                {
                    subscription.ReportedFailureLsn = entry.Offset.CommitLsn;
                    subscription.Format.Error(subscription.Connection, subscription.Channel, ErrorCodes.AccessCheckFailed,
                        WithheldMessage(verdict, entry), ended: false);
                }
                return false;
        }
    }

    private static string WithheldMessage(AccessVerdict verdict, LogEntry entry) => verdict switch
    {
        AccessVerdict.TableGone =>
            $"changes from offset {entry.OffsetText} on are withheld: the table no longer existed when they were checked, so its row-level security could not be applied",
        AccessVerdict.ValuesMissing =>
            $"changes from offset {entry.OffsetText} on are withheld: the WAL did not carry values the table's policies read (set REPLICA IDENTITY FULL on the table)",
        _ => $"the row-level security check failed for changes from offset {entry.OffsetText} on; they are withheld (see the server log)",
    };
}
