using Sluice.Server.Capture;
using Sluice.Server.Connections;
using Sluice.Server.Log;
using Sluice.Server.Observability;
using Sluice.Server.Routing;
using Sluice.Server.Snapshots;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Keeps row-level security verdicts ahead of delivery, so that a change reaches a subscriber as a <c>SELECT</c> by its
/// role and claims at delivery time would answer. Before transactions are dispatched, whether their tables have row-level
/// security is read afresh (a table that is gone counts as protected: fail closed), their changes of protected tables
/// are marked and judged for every access group interested in those tables (one database round trip for all groups and
/// tables). Before a subscription catches up from the log (resume, snapshot, a refreshed token), the retained changes it
/// will replay are judged again for its group, so a replay answers as the policies do now, not as they did at dispatch.
/// Groups that join between the two steps are caught by the router's interest version.
/// </summary>
internal sealed class RowAccess(RowAccessChecker checker, TableSecurityReader tables, SubscriptionRouter router, SluiceMetrics metrics)
{
    /// <summary>Per table, whether it was protected at the last read: only a hint of which checks to start early (dispatcher loop only).</summary>
    private readonly Dictionary<uint, bool> _protectedWhenLastRead = [];

    /// <summary>The tables of the round being prepared and what the read found for them (dispatcher loop only, reused every round).</summary>
    private readonly HashSet<uint> _roundTables = [];
    private readonly Dictionary<uint, TableProtection> _roundProtection = [];

    /// <summary>The database checks run so far (per access group and table chunk, never per subscriber).</summary>
    public long Checks => checker.Checks;

    /// <summary>
    /// Marks the changes of tables with row-level security (or that are gone) and judges them for the interested groups;
    /// returns the interest version to dispatch them with (see <see cref="SubscriptionRouter.Dispatch(TransactionBatch, DateTime, long)"/>).
    /// </summary>
    /// <remarks>
    /// Whether a table is protected is read afresh for every round — never taken from a cache — but, to keep the
    /// commit-to-check window at one round trip, the checks of tables protected when last read run at the same time as
    /// that read. The read decides: a table found unprotected is public (its speculative verdicts are dropped); a table
    /// found protected (or gone) that was not checked is checked right after, before anything of the round is dispatched.
    /// </remarks>
    public async Task<long> PrepareAsync(IReadOnlyList<TransactionBatch> batches, CancellationToken cancellationToken)
    {
        var relations = _roundTables;
        relations.Clear();
        for (var b = 0; b < batches.Count; b++)
        {
            foreach (var change in batches[b].Changes)
                relations.Add(change.Table.RelationId);
        }
        if (relations.Count == 0)
            return -1;

        var speculated = false;
        for (var b = 0; b < batches.Count; b++)
        {
            foreach (var change in batches[b].Changes)
            {
                // A table never read yet is checked after the read, like one that just became protected.
                if (_protectedWhenLastRead.GetValueOrDefault(change.Table.RelationId))
                {
                    change.RequireVerdicts();
                    speculated = true;
                }
            }
        }
        var protection = _roundProtection;
        var reading = tables.ReadAsync(relations, protection, cancellationToken);
        var version = -1L;
        if (speculated)
        {
            var judging = JudgeAsync(batches, cancellationToken);
            // Both have finished when this throws: nothing is left running when the round is retried.
            await Task.WhenAll(reading, judging);
            version = await judging;
        }
        else
        {
            await reading;
        }

        var missed = false;
        foreach (var (relation, state) in protection)
            _protectedWhenLastRead[relation] = state != TableProtection.None;
        for (var b = 0; b < batches.Count; b++)
        {
            foreach (var change in batches[b].Changes)
            {
                // Row-level security on, or a table that is gone (unknown): either way each group gets a verdict.
                if (protection[change.Table.RelationId] != TableProtection.None)
                {
                    if (change.Verdicts is null)
                    {
                        change.RequireVerdicts();
                        missed = true;
                    }
                }
                else if (change.Verdicts is not null)
                {
                    // Row-level security was switched off: the change is public, as if it had not been checked (a role
                    // that cannot be assumed, whose check failed, may see it).
                    change.DropVerdicts();
                }
            }
        }
        return missed ? await JudgeAsync(batches, cancellationToken) : version;
    }

    /// <summary>Judges the marked changes of <paramref name="batches"/> for every interested group lacking a verdict; returns the interest version used.</summary>
    public async Task<long> JudgeAsync(IReadOnlyList<TransactionBatch> batches, CancellationToken cancellationToken)
    {
        var (version, interest) = router.SnapshotInterest();
        var byRelation = new Dictionary<uint, (List<RowChange> Changes, HashSet<AccessGroup> Groups)>();
        List<DateTime>? judgedCommits = null;
        for (var b = 0; b < batches.Count; b++)
        {
            var batch = batches[b];
            var batchJudged = false;
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
                        batchJudged = true;
                    }
                    work.Value.Groups.Add(group);
                }
            }
            if (batchJudged)
                (judgedCommits ??= []).Add(batch.CommitTimestamp);
        }
        if (byRelation.Count > 0)
        {
            var checks = new List<TableCheck>(byRelation.Count);
            foreach (var (relation, work) in byRelation)
                checks.Add(new TableCheck(relation, work.Changes, [.. work.Groups]));
            await checker.CheckAsync(checks, cancellationToken);
            var now = DateTime.UtcNow;
            foreach (var commit in judgedCommits ?? [])
                metrics.RowSecurityChecked(commit, now);
        }
        return version;
    }

    /// <summary>
    /// Before <paramref name="subscription"/> (already <see cref="SubscriptionRouter.Acquire">acquired</see>) catches up from
    /// the log after <paramref name="after"/>: judges, now, every retained change with verdicts that it will replay — also
    /// those its group was judged for at dispatch, so a member whose access was revoked since gets none of them.
    /// </summary>
    public async Task PrepareCatchUpAsync(Subscription subscription, ChangeOffset after, SnapshotVisibility? visibility, CancellationToken cancellationToken)
    {
        // Reads as the server, in no access group: nothing to judge (see Subscription.ReadsDatabaseBroadcastsAsServer).
        if (subscription.ReadsDatabaseBroadcastsAsServer)
            return;
        var missing = router.ChangesToJudgeForCatchUp(subscription, after, visibility);
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

    /// <summary>
    /// Before a connection whose delivery was paused (its token expired) continues with the same claims: judges, now, what
    /// each of its table subscriptions will replay from where it stopped.
    /// </summary>
    public async Task PrepareResumeAsync(ClientConnection connection, CancellationToken cancellationToken)
    {
        foreach (var subscription in router.SubscriptionsOf(connection))
            await PrepareCatchUpAsync(subscription, subscription.LastDelivered, visibility: null, cancellationToken);
    }
}
