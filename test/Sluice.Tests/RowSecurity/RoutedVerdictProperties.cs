using System.Globalization;
using CsCheck;
using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Capture;
using Sluice.Server.Log;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Routing;
using Sluice.Server.RowSecurity;
using Sluice.Tests.Routing;

namespace Sluice.Tests.RowSecurity;

/// <summary>
/// The router with row-level security verdicts, judged the way <see cref="RowAccess"/> does (before dispatch for the
/// interested groups, before catch-up for the rest): whatever the transactions and wherever the client disconnects and
/// resumes with <c>since</c>, it receives exactly the rows its group may see, once each, in commit order, with
/// <c>tx_end</c> on the last visible change of each transaction.
/// </summary>
public sealed class RoutedVerdictProperties
{
    private static readonly TableSchema Table = new(1, "public", "t",
    [
        new TableColumn("id", new ColumnType(20, ValueKind.Integer), IsKey: true),
        new TableColumn("visible", new ColumnType(16, ValueKind.Boolean), IsKey: false),
    ]);
    private static readonly DateTime Now = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly ConnectionIdentity Member = new("member", """{"organization_id":1}""", "u1", null);

    [Fact]
    public void Resumed_subscribers_see_exactly_their_visible_rows_in_order() =>
        Gen.Select(Gen.Bool.Array[1, 4].Array[1, 12], Gen.Int[0, 12].Array[0, 4], Gen.Bool)
            .Sample(static (transactions, cuts, sameGroupStaysSubscribed) => Run(transactions, cuts, sameGroupStaysSubscribed),
                iter: 200);

    private static void Run(bool[][] transactions, int[] cuts, bool sameGroupStaysSubscribed)
    {
        var log = new ChangeLog(new LogEpoch("00000001"), new RetentionLimits(10_000, long.MaxValue, TimeSpan.FromHours(1)));
        log.Start(0);
        var router = new SubscriptionRouter(log);

        // Another connection of the same claim set may keep the group (and its verdicts) alive across the cuts.
        var bystander = NewConnection();
        if (sameGroupStaysSubscribed)
        {
            var watching = NewSubscription(bystander);
            router.Subscribe(watching);
        }

        var segments = new List<RecordingSink>();
        var current = NewConnection();
        segments.Add(current);
        var subscription = NewSubscription(current);
        router.Subscribe(subscription);

        var expected = new List<(long Id, bool TxEnd)>();
        var nextId = 1L;
        var cutSet = cuts.ToHashSet();
        for (var t = 0; t < transactions.Length; t++)
        {
            if (cutSet.Contains(t))
            {
                var since = LastOffset(current);
                router.RemoveAll(current);
                current = NewConnection();
                segments.Add(current);
                var resumed = NewSubscription(current);
                router.Acquire(resumed);
                Judge(router.ChangesToJudgeForCatchUp(resumed, ParseOffset(since), visibility: null), [resumed.Group!]);
                Assert.True(router.Resume(resumed, ParseOffset(since), System.Text.Encoding.UTF8.GetBytes($$"""{"type":"ack","offset":"{{since}}"}""")));
            }

            var changes = transactions[t].Select((visible, i) => new RowChange(ChangeKind.Insert, Table, [(nextId + i).ToString(CultureInfo.InvariantCulture), visible ? "t" : "f"], null)).ToArray();
            var visibleIds = transactions[t].Select((visible, i) => (visible, id: nextId + i)).Where(x => x.visible).Select(x => x.id).ToList();
            expected.AddRange(visibleIds.Select((id, i) => (id, i == visibleIds.Count - 1)));
            nextId += changes.Length;
            foreach (var change in changes)
                change.RequireVerdicts();
            var batch = new TransactionBatch
            {
                Xid = (uint)(t + 1),
                CommitLsn = (ulong)(t + 1) * 100,
                CommitTimestamp = Now,
                FirstIndex = 0,
                Changes = changes,
                IsLast = true,
                EndLsn = (ulong)(t + 1) * 100 + 10,
            };
            var (version, interest) = router.SnapshotInterest();
            Judge(changes, interest.GetValueOrDefault(new TableKey("public", "t")) ?? []);
            Assert.True(router.Dispatch(batch, Now, version));
        }

        var received = new List<(long, bool)>();
        foreach (var segment in segments)
            received.AddRange(segment.NativeFrames().Where(f => f.Type == "broadcast").Select(f => (f.Id!.Value, f.TxEnd)));
        Assert.Equal(expected, received);
    }

    /// <summary>What <see cref="RowAccessChecker"/> would decide for a policy <c>USING (visible)</c>.</summary>
    private static void Judge(IEnumerable<RowChange> changes, IReadOnlyList<AccessGroup> groups)
    {
        foreach (var change in changes)
        {
            foreach (var group in groups)
                change.AddVerdicts([(group, RowAccessChecker.Decide(change.Kind, change.NewValues![1] == "t" ? RowSight.Visible : RowSight.Hidden, RowSight.Absent))]);
        }
    }

    private static ChangeOffset ParseOffset(string text)
    {
        Assert.True(ChangeOffset.TryParse(text, out _, out var offset));
        return offset;
    }

    private static Subscription NewSubscription(RecordingSink connection) =>
        new(connection, "table:public.t", new TableKey("public", "t"), ChangeEvents.All, null, null, null) { Format = NativeChangeFormat.Default };

    private static RecordingSink NewConnection() => new(Member);

    /// <summary>Where a client of this connection resumes: the offset of its last change, else its ack's.</summary>
    private static string LastOffset(RecordingSink connection) => connection.NativeFrames().Last(f => f.Offset is not null).Offset!;
}
