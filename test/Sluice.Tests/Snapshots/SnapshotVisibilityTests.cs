using Sluice.Server.Snapshots;

namespace Sluice.Tests.Snapshots;

public sealed class SnapshotVisibilityTests
{
    [Fact]
    public void Sees_finished_transactions_and_not_running_or_later_ones()
    {
        var snapshot = SnapshotVisibility.Parse("100:105:101,103", startLsn: 10, endLsn: 20);
        Assert.True(snapshot.Sees(99));
        Assert.True(snapshot.Sees(100));
        Assert.False(snapshot.Sees(101));
        Assert.True(snapshot.Sees(102));
        Assert.False(snapshot.Sees(103));
        Assert.True(snapshot.Sees(104));
        Assert.False(snapshot.Sees(105));
        Assert.False(snapshot.Sees(200));
    }

    [Fact]
    public void Transactions_committed_after_the_snapshot_end_are_never_contained()
    {
        var snapshot = SnapshotVisibility.Parse("100:100:", startLsn: 10, endLsn: 20);
        Assert.True(snapshot.Contains(50, commitLsn: 19));
        Assert.False(snapshot.Contains(50, commitLsn: 20));
    }

    [Fact]
    public void Works_across_xid_wraparound_with_64_bit_input()
    {
        // xid8 values just past 2^32: epoch 1, 32-bit xids 5 and 10.
        var snapshot = SnapshotVisibility.Parse("4294967301:4294967306:4294967303", 0, 1);
        Assert.True(snapshot.Sees(uint.MaxValue - 3));
        Assert.True(snapshot.Sees(6));
        Assert.False(snapshot.Sees(7));
        Assert.False(snapshot.Sees(10));
    }
}
