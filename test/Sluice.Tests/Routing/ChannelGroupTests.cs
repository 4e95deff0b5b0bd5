using System.Globalization;
using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Filters;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Routing;

namespace Sluice.Tests.Routing;

public sealed class ChannelGroupTests
{
    private static readonly TableSchema Table = new(1, "public", "t",
    [
        new TableColumn("id", new ColumnType(20, ValueKind.Integer), IsKey: true),
        new TableColumn("name", new ColumnType(25, ValueKind.Text), IsKey: false),
    ]);

    private static Subscription Subscribe(ChannelGroup group, string? filterText, TableSchema? table = null)
    {
        table ??= Table;
        var connection = new RecordingSink();
        RowFilter? filter = null;
        if (filterText is not null)
            Assert.True(RowFilter.TryParse(filterText, table, out filter, out var error), error);
        var subscription = new Subscription(connection, group.Channel, new TableKey("public", "t"), ChangeEvents.All, filterText, filter, table)
        {
            Format = NativeChangeFormat.Default,
        };
        group.Add(subscription);
        return subscription;
    }

    private static List<Subscription> Candidates(ChannelGroup group, long id, TableSchema? table = null)
    {
        var change = new RowChange(ChangeKind.Insert, table ?? Table, [id.ToString(CultureInfo.InvariantCulture), "x"], null);
        var candidates = new List<Subscription>();
        group.CollectCandidates(change, candidates);
        return candidates;
    }

    [Fact]
    public void Equality_filters_are_found_by_value_and_the_rest_are_always_candidates()
    {
        var group = new ChannelGroup("table:public.t");
        var byId = Enumerable.Range(1, 1000).Select(i => Subscribe(group, $"id=eq.{i}")).ToArray();
        var all = Subscribe(group, null);
        var range = Subscribe(group, "id=gt.500");

        var candidates = Candidates(group, 5);
        Assert.Equal(3, candidates.Count);
        Assert.Contains(byId[4], candidates);
        Assert.Contains(all, candidates);
        Assert.Contains(range, candidates);
        Assert.Equal(2, Candidates(group, 5000).Count);

        group.Remove(byId[4]);
        Assert.Equal(2, Candidates(group, 5).Count);
        Assert.Equal(1001, group.Count);
    }

    [Fact]
    public void A_new_table_definition_rebinds_filters_and_one_that_no_longer_applies_is_checked_by_the_router()
    {
        var group = new ChannelGroup("table:public.t");
        var byName = Subscribe(group, "name=eq.x");
        var byId = Subscribe(group, "id=eq.7");
        Assert.Contains(byName, Candidates(group, 1));

        var withoutName = new TableSchema(1, "public", "t", [Table.Columns[0]]);
        var candidates = new List<Subscription>();
        group.CollectCandidates(new RowChange(ChangeKind.Insert, withoutName, ["7"], null), candidates);
        Assert.Contains(byName, candidates);
        Assert.Contains(byId, candidates);
        Assert.Same(withoutName, byId.BoundTo);
        Assert.NotSame(withoutName, byName.BoundTo);
    }

    [Fact]
    public void A_conjunction_with_an_equality_is_indexed_by_it_and_one_without_is_scanned()
    {
        var group = new ChannelGroup("table:public.t");
        var seven = Subscribe(group, "name=like.x%,id=eq.7");
        var notEight = Subscribe(group, "id=not.neq.8, name=is.not_null");
        var negated = Subscribe(group, "id=not.eq.7,id=gt.0");

        Assert.Equal([seven, negated], Candidates(group, 7).OrderBy(s => s == negated));
        Assert.Equal([notEight, negated], Candidates(group, 8).OrderBy(s => s == negated));
        Assert.Equal([negated], Candidates(group, 9));

        group.Remove(seven);
        Assert.Equal([negated], Candidates(group, 7));
    }
}
