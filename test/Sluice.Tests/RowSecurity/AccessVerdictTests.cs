using CsCheck;
using Sluice.Server.Auth;
using Sluice.Server.Capture;
using Sluice.Server.RowSecurity;

namespace Sluice.Tests.RowSecurity;

public sealed class AccessVerdictTests
{
    [Theory]
    [InlineData(ChangeKind.Insert, RowSight.Visible, RowSight.Absent, AccessVerdict.Deliver)]
    [InlineData(ChangeKind.Insert, RowSight.Hidden, RowSight.Absent, AccessVerdict.Hidden)]
    [InlineData(ChangeKind.Update, RowSight.Visible, RowSight.Visible, AccessVerdict.Deliver)]
    [InlineData(ChangeKind.Update, RowSight.Visible, RowSight.Hidden, AccessVerdict.DeliverWithoutOld)]
    [InlineData(ChangeKind.Update, RowSight.Hidden, RowSight.Visible, AccessVerdict.MoveOut)]
    [InlineData(ChangeKind.Update, RowSight.Hidden, RowSight.Hidden, AccessVerdict.Hidden)]
    [InlineData(ChangeKind.Delete, RowSight.Absent, RowSight.Visible, AccessVerdict.Deliver)]
    [InlineData(ChangeKind.Delete, RowSight.Absent, RowSight.Hidden, AccessVerdict.Hidden)]
    [InlineData(ChangeKind.Truncate, RowSight.Absent, RowSight.Absent, AccessVerdict.Deliver)]
    // REPLICA IDENTITY DEFAULT: an UPDATE without an old row, with a key-only old row, a DELETE's key-only old row.
    [InlineData(ChangeKind.Update, RowSight.Visible, RowSight.Absent, AccessVerdict.DeliverWithoutOld)]
    [InlineData(ChangeKind.Update, RowSight.Hidden, RowSight.Absent, AccessVerdict.Hidden)]
    [InlineData(ChangeKind.Update, RowSight.Visible, RowSight.Unknown, AccessVerdict.DeliverWithoutOld)]
    [InlineData(ChangeKind.Update, RowSight.Hidden, RowSight.Unknown, AccessVerdict.ValuesMissing)]
    [InlineData(ChangeKind.Delete, RowSight.Absent, RowSight.Unknown, AccessVerdict.ValuesMissing)]
    // A new row lacking a value the policies read (an unchanged TOASTed value, a generated column).
    [InlineData(ChangeKind.Insert, RowSight.Unknown, RowSight.Absent, AccessVerdict.ValuesMissing)]
    [InlineData(ChangeKind.Update, RowSight.Unknown, RowSight.Visible, AccessVerdict.ValuesMissing)]
    [InlineData(ChangeKind.Update, RowSight.Unknown, RowSight.Hidden, AccessVerdict.ValuesMissing)]
    [InlineData(ChangeKind.Update, RowSight.Unknown, RowSight.Absent, AccessVerdict.ValuesMissing)]
    internal void A_group_sees_what_it_could_see_of_the_rows_involved(ChangeKind kind, RowSight newRow, RowSight oldRow, AccessVerdict expected) =>
        Assert.Equal(expected, RowAccessChecker.Decide(kind, newRow, oldRow));

    [Fact]
    public void An_unknown_row_never_makes_a_change_more_visible_than_any_answer_would()
    {
        // Whatever the unknown row turns out to be, the verdict with it unknown reveals no more than the verdict with it known.
        var revealing = new[] { AccessVerdict.Deliver, AccessVerdict.DeliverWithoutOld, AccessVerdict.MoveOut };
        foreach (var kind in new[] { ChangeKind.Insert, ChangeKind.Update, ChangeKind.Delete })
        {
            foreach (var newRow in Enum.GetValues<RowSight>())
            {
                foreach (var oldRow in Enum.GetValues<RowSight>())
                {
                    var verdict = RowAccessChecker.Decide(kind, newRow, oldRow);
                    if (!revealing.Contains(verdict))
                        continue;
                    var knowns = new[] { RowSight.Visible, RowSight.Hidden };
                    foreach (var actualNew in newRow == RowSight.Unknown ? knowns : [newRow])
                    {
                        foreach (var actualOld in oldRow == RowSight.Unknown ? knowns : [oldRow])
                        {
                            var known = RowAccessChecker.Decide(kind, actualNew, actualOld);
                            Assert.True(revealing.Contains(known) && (verdict == known || verdict == AccessVerdict.DeliverWithoutOld && known == AccessVerdict.Deliver),
                                $"{kind} new={newRow} old={oldRow} gives {verdict}, but with new={actualNew} old={actualOld} only {known} is allowed");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Verdicts_hold_the_latest_verdict_per_group_and_nothing_for_other_groups()
    {
        var groups = Enumerable.Range(0, 6)
            .Select(i => new AccessGroup(new ConnectionIdentity("role" + i % 2, $$"""{"n":{{i}}}""", null, null)))
            .ToArray();
        Gen.Select(Gen.Int[0, 5], Gen.Enum<AccessVerdict>()).Array[0, 30].Sample(steps =>
        {
            var verdicts = AccessVerdicts.Empty;
            var model = new Dictionary<int, AccessVerdict>();
            foreach (var (group, verdict) in steps)
            {
                var countBefore = verdicts.Count;
                var next = verdicts.With(groups[group], verdict);
                Assert.Equal(countBefore, verdicts.Count); // readers of the earlier instance see no change
                verdicts = next;
                model[group] = verdict;
            }
            for (var group = 0; group < groups.Length; group++)
            {
                Assert.Equal(model.ContainsKey(group), verdicts.TryGet(groups[group], out var found));
                if (model.TryGetValue(group, out var expected))
                    Assert.Equal(expected, found);
            }
            Assert.Equal(model.Count, verdicts.Count);
        });
    }

    [Fact]
    public void Verdicts_added_in_batches_hold_the_latest_per_group_with_many_groups_too()
    {
        // 40 groups: lookups past the scan limit go through the index; a batch may name a group twice (the later wins).
        var groups = Enumerable.Range(0, 40)
            .Select(i => new AccessGroup(new ConnectionIdentity("role" + i % 3, $$"""{"n":{{i}}}""", null, null)))
            .ToArray();
        var batch = Gen.Select(Gen.Int[0, groups.Length - 1], Gen.Enum<AccessVerdict>()).Array[0, 30];
        batch.Array[0, 6].Sample(batches =>
        {
            var verdicts = AccessVerdicts.Empty;
            var model = new Dictionary<int, AccessVerdict>();
            foreach (var added in batches)
            {
                var before = verdicts;
                var beforeCount = before.Count;
                var probe = added.Length > 0 && before.TryGet(groups[added[0].Item1], out var seenBefore) ? seenBefore : (AccessVerdict?)null;
                verdicts = verdicts.WithAll([.. added.Select(a => (groups[a.Item1], a.Item2))]);
                // Readers of the earlier instance see no change.
                Assert.Equal(beforeCount, before.Count);
                if (probe is { } unchanged)
                    Assert.True(before.TryGet(groups[added[0].Item1], out var still) && still == unchanged);
                foreach (var (group, verdict) in added)
                    model[group] = verdict;
            }
            for (var group = 0; group < groups.Length; group++)
            {
                Assert.Equal(model.ContainsKey(group), verdicts.TryGet(groups[group], out var found));
                Assert.Equal(model.ContainsKey(group), verdicts.Has(groups[group]));
                if (model.TryGetValue(group, out var expected))
                    Assert.Equal(expected, found);
            }
            Assert.Equal(model.Count, verdicts.Count);
        });
    }
}
