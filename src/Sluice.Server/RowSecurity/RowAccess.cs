using Sluice.Server.Capture;
using Sluice.Server.Log;
using Sluice.Server.Routing;
using Sluice.Server.Snapshots;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Keeps row-level security verdicts ahead of delivery. Before transactions are dispatched, their changes of tables with
/// row-level security are marked and judged for every access group interested in those tables (one database round
/// trip for all groups and tables); before a subscription catches up from the log, the retained changes its group has
/// no verdict for yet are judged. Groups that join between the two steps are caught by the router's interest version.
/// </summary>
public sealed class RowAccess(RowAccessChecker checker, TableSecurityCache tables, SubscriptionRouter router)
{
    /// <summary>The database checks run so far (per access group and table chunk, never per subscriber).</summary>
    public long Checks => checker.Checks;

    /// <summary>
    /// Marks the changes of tables with row-level security and judges them for the interested groups; returns the
    /// interest version to dispatch them with (see <see cref="SubscriptionRouter.Dispatch(TransactionBatch, DateTime, long)"/>).
    /// </summary>
    public async Task<long> PrepareAsync(IReadOnlyList<TransactionBatch> batches, CancellationToken cancellationToken)
    {
        var relations = new HashSet<uint>();
        foreach (var batch in batches)
        {
            foreach (var change in batch.Changes)
                relations.Add(change.Table.RelationId);
        }
        if (relations.Count == 0)
            return -1;
        await tables.RefreshAsync(relations, cancellationToken);
        var anyProtected = false;
        foreach (var batch in batches)
        {
            foreach (var change in batch.Changes)
            {
                if (tables.IsProtected(change.Table.RelationId))
                {
                    change.RequireVerdicts();
                    anyProtected = true;
                }
            }
        }
        return anyProtected ? await JudgeAsync(batches, cancellationToken) : -1;
    }

    /// <summary>Judges the marked changes of <paramref name="batches"/> for every interested group lacking a verdict; returns the interest version used.</summary>
    public async Task<long> JudgeAsync(IReadOnlyList<TransactionBatch> batches, CancellationToken cancellationToken)
    {
        var (version, interest) = router.SnapshotInterest();
        var byRelation = new Dictionary<uint, (List<RowChange> Changes, HashSet<AccessGroup> Groups)>();
        foreach (var batch in batches)
        {
            foreach (var change in batch.Changes)
            {
                if (change.Verdicts is not { } verdicts
                    || !interest.TryGetValue(new TableKey(change.Table.Schema, change.Table.Name), out var groups))
                    continue;
                (List<RowChange> Changes, HashSet<AccessGroup> Groups)? work = null;
                foreach (var group in groups)
                {
                    if (verdicts.Has(group))
                        continue;
                    if (work is null)
                    {
                        if (!byRelation.TryGetValue(change.Table.RelationId, out var existing))
                            byRelation[change.Table.RelationId] = existing = ([], new HashSet<AccessGroup>(ReferenceEqualityComparer.Instance));
                        existing.Changes.Add(change);
                        work = existing;
                    }
                    work.Value.Groups.Add(group);
                }
            }
        }
        if (byRelation.Count > 0)
        {
            var checks = new List<TableCheck>(byRelation.Count);
            foreach (var (relation, work) in byRelation)
                checks.Add(new TableCheck(relation, work.Changes, [.. work.Groups]));
            await checker.CheckAsync(checks, cancellationToken);
        }
        return version;
    }

    /// <summary>
    /// Before <paramref name="subscription"/> (already <see cref="SubscriptionRouter.Acquire">acquired</see>) catches up from
    /// the log after <paramref name="after"/>: judges the retained changes its group has no verdict for.
    /// </summary>
    public async Task PrepareCatchUpAsync(Subscription subscription, ChangeOffset after, SnapshotVisibility? visibility, CancellationToken cancellationToken)
    {
        var missing = router.ChangesAwaitingVerdict(subscription, after, visibility);
        if (missing.Count == 0)
            return;
        var byRelation = new Dictionary<uint, List<RowChange>>();
        foreach (var change in missing)
        {
            if (!byRelation.TryGetValue(change.Table.RelationId, out var list))
                byRelation[change.Table.RelationId] = list = [];
            list.Add(change);
        }
        var checks = new List<TableCheck>(byRelation.Count);
        foreach (var (relation, changes) in byRelation)
            checks.Add(new TableCheck(relation, changes, [subscription.Group!]));
        await checker.CheckAsync(checks, cancellationToken);
    }
}
