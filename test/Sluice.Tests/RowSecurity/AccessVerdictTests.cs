using CsCheck;
using Sluice.Server.Auth;
using Sluice.Server.Capture;
using Sluice.Server.RowSecurity;

namespace Sluice.Tests.RowSecurity;

public sealed class AccessVerdictTests
{
    [Theory]
    [InlineData(ChangeKind.Insert, true, false, AccessVerdict.Deliver)]
    [InlineData(ChangeKind.Insert, false, false, AccessVerdict.Hidden)]
    [InlineData(ChangeKind.Update, true, true, AccessVerdict.Deliver)]
    [InlineData(ChangeKind.Update, true, false, AccessVerdict.DeliverWithoutOld)]
    [InlineData(ChangeKind.Update, false, true, AccessVerdict.MoveOut)]
    [InlineData(ChangeKind.Update, false, false, AccessVerdict.Hidden)]
    [InlineData(ChangeKind.Delete, false, true, AccessVerdict.Deliver)]
    [InlineData(ChangeKind.Delete, false, false, AccessVerdict.Hidden)]
    [InlineData(ChangeKind.Truncate, false, false, AccessVerdict.Deliver)]
    public void A_group_sees_what_it_could_see_of_the_rows_involved(ChangeKind kind, bool newVisible, bool oldVisible, AccessVerdict expected) =>
        Assert.Equal(expected, RowAccessChecker.Decide(kind, newVisible, oldVisible));

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
}
