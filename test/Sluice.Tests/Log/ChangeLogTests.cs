using CsCheck;
using Sluice.Server.Capture;
using Sluice.Server.Log;

namespace Sluice.Tests.Log;

public sealed class ChangeLogTests
{
    private static readonly TableSchema Table = new(1, "public", "t",
        [new TableColumn("id", new ColumnType(20, ValueKind.Integer), IsKey: true)]);

    private static readonly DateTime Now = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static RowChange Insert(long id) => new(ChangeKind.Insert, Table, [id.ToString(System.Globalization.CultureInfo.InvariantCulture)], null);

    private static ChangeLog NewLog(int maxChanges = 1000, TimeSpan? maxAge = null) =>
        new(new LogEpoch("00000001"), new RetentionLimits(maxChanges, long.MaxValue, maxAge ?? TimeSpan.FromHours(1)));

    /// <summary>Appends a transaction of <paramref name="changes"/> rows committed at <paramref name="lsn"/>, ending at lsn + 10.</summary>
    private static void Commit(ChangeLog log, ulong lsn, int changes, DateTime? at = null)
    {
        for (var i = 0; i < changes; i++)
            log.Append(new ChangeOffset(lsn, (uint)i), Insert(i), at ?? Now, xid: (uint)lsn, transactionEnd: i == changes - 1);
        log.EndTransaction(lsn, lsn + 10);
        log.Evict(Now);
    }

    [Fact]
    public void Evicts_oldest_first_and_acknowledges_only_transactions_that_left_the_window()
    {
        var log = NewLog(maxChanges: 3);
        log.Start(100);
        Assert.Equal(new ChangeOffset(99, uint.MaxValue), log.Horizon);

        Commit(log, 100, 2);
        Commit(log, 200, 1);
        Assert.Equal(3, log.Count);
        Assert.Equal(100UL, log.AcknowledgeableLsn);

        Commit(log, 300, 2);
        Assert.Equal(3, log.Count);
        Assert.Equal(new ChangeOffset(100, 1), log.Horizon);
        Assert.Equal(110UL, log.AcknowledgeableLsn);

        Commit(log, 400, 3);
        Assert.Equal(new ChangeOffset(300, 1), log.Horizon);
        Assert.Equal(310UL, log.AcknowledgeableLsn);
    }

    [Fact]
    public void A_partially_evicted_transaction_is_not_acknowledged()
    {
        var log = NewLog(maxChanges: 2);
        Commit(log, 100, 3);
        Assert.Equal(new ChangeOffset(100, 0), log.Horizon);
        Assert.Equal(0UL, log.AcknowledgeableLsn);
    }

    [Fact]
    public void Empty_transactions_are_acknowledged_once_everything_before_them_left()
    {
        var log = NewLog(maxAge: TimeSpan.FromMinutes(10));
        Commit(log, 100, 1);
        log.EndTransaction(150, 160);
        log.Evict(Now);
        Assert.Equal(0UL, log.AcknowledgeableLsn);

        log.Evict(Now.AddMinutes(11));
        Assert.Equal(0, log.Count);
        Assert.Equal(160UL, log.AcknowledgeableLsn);
    }

    [Fact]
    public void Marks_the_last_change_when_a_transaction_ends_after_its_last_batch()
    {
        var log = NewLog();
        log.Append(new ChangeOffset(100, 0), Insert(1), Now, 7, transactionEnd: false);
        log.EndTransaction(100, 110);
        Assert.True(log[0].TransactionEnd);
    }

    [Fact]
    public void Finds_the_first_entry_after_any_offset()
    {
        Gen.Int[1, 50].Array[0, 30].Sample(sizes =>
        {
            var log = NewLog(maxChanges: int.MaxValue);
            ulong lsn = 0;
            foreach (var size in sizes)
                Commit(log, lsn += 100, size);
            for (var i = 0; i < log.Count; i++)
            {
                Assert.Equal(i, log.FirstIndexAfter(i == 0 ? default : log[i - 1].Offset));
                Assert.Equal(i + 1, log.FirstIndexAfter(log[i].Offset));
            }
            Assert.Equal(log.Count, log.FirstIndexAfter(new ChangeOffset(ulong.MaxValue, uint.MaxValue)));
        });
    }

    [Fact]
    public void Never_holds_more_than_the_limits()
    {
        Gen.Select(Gen.Int[1, 20], Gen.Int[1, 10].Array[1, 40]).Sample((limit, sizes) =>
        {
            var log = NewLog(maxChanges: limit);
            ulong lsn = 0, previousAck = 0;
            foreach (var size in sizes)
            {
                Commit(log, lsn += 100, size);
                Assert.True(log.Count <= limit);
                Assert.True(log.AcknowledgeableLsn >= previousAck);
                Assert.True(log.Count == 0 || log[0].Offset > log.Horizon);
                previousAck = log.AcknowledgeableLsn;
            }
        });
    }
}
