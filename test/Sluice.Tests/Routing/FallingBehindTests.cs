using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Log;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Routing;

namespace Sluice.Tests.Routing;

/// <summary>
/// A subscriber whose queue has no room for a live change falls behind instead of being closed, and once its queue has
/// drained it continues from the log: against the real router and change log, every change arrives once, in order, with
/// <c>tx_end</c> on the last one of each transaction, wherever the queue fills (between batches of one transaction, at a
/// commit, with several subscriptions, with a token pause on top).
/// </summary>
public sealed class FallingBehindTests
{
    private static readonly TableSchema TableT = NewTable(1, "t");
    private static readonly TableSchema TableU = NewTable(2, "u");
    private static readonly DateTime Now = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly byte[] Paused = Encoding.UTF8.GetBytes("""{"type":"error","code":"token_expired","error":"paused"}""");
    private static readonly byte[] Resumed = Encoding.UTF8.GetBytes("""{"type":"auth_ok","role":"r"}""");

    private readonly ChangeLog _log;
    private readonly SubscriptionRouter _router;
    private readonly RecordingSink _connection = new();

    public FallingBehindTests() : this(maxChanges: 10_000)
    {
    }

    private FallingBehindTests(int maxChanges)
    {
        _log = new ChangeLog(new LogEpoch("00000001"), new RetentionLimits(maxChanges, long.MaxValue, TimeSpan.FromHours(1)));
        _log.Start(0);
        _router = new SubscriptionRouter(_log);
    }

    private static TableSchema NewTable(uint relationId, string name) => new(relationId, "public", name,
    [
        new TableColumn("id", new ColumnType(20, ValueKind.Integer), IsKey: true),
    ]);

    private void Subscribe(TableSchema table)
    {
        _router.Subscribe(new Subscription(_connection, $"table:public.{table.Name}", new TableKey("public", table.Name), ChangeEvents.All, null, null, null)
        {
            Format = NativeChangeFormat.Default,
        });
    }

    /// <summary>Dispatches <paramref name="rows"/> (table, id) as one batch of the transaction committed at <paramref name="lsn"/>.</summary>
    private void Dispatch(ulong lsn, uint firstIndex, bool isLast, params (TableSchema Table, long Id)[] rows) =>
        _router.Dispatch(new TransactionBatch
        {
            Xid = (uint)lsn,
            CommitLsn = lsn,
            CommitTimestamp = Now,
            FirstIndex = firstIndex,
            Changes = rows.Select(row => new RowChange(ChangeKind.Insert, row.Table, [row.Id.ToString(CultureInfo.InvariantCulture)], null)).ToArray(),
            IsLast = isLast,
            EndLsn = lsn + 10,
        }, Now);

    private void Dispatch(ulong lsn, uint firstIndex, bool isLast, params long[] ids) =>
        Dispatch(lsn, firstIndex, isLast, ids.Select(id => (TableT, id)).ToArray());

    /// <summary>Every frame queued so far: (type, channel's table, id, tx_end).</summary>
    private List<(string Type, string? Table, long? Id, bool TxEnd)> Sent()
    {
        var sent = new List<(string, string?, long?, bool)>();
        foreach (var bytes in _connection.Frames)
        {
            using var frame = JsonDocument.Parse(bytes);
            var root = frame.RootElement;
            var table = root.TryGetProperty("channel", out var channel) ? channel.GetString()!["table:public.".Length..] : null;
            long? id = root.TryGetProperty("payload", out var payload) ? payload.GetProperty("record").GetProperty("id").GetInt64() : null;
            sent.Add((root.GetProperty("type").GetString()!, table, id, root.TryGetProperty("tx_end", out var end) && end.GetBoolean()));
        }
        return sent;
    }

    [Fact]
    public void A_transaction_larger_than_the_queue_arrives_whole_once_the_queue_has_drained()
    {
        Subscribe(TableT);
        _connection.LiveCapacity = 2;
        Dispatch(100, 0, isLast: false, 1, 2, 3);
        Dispatch(100, 3, isLast: false, 4, 5);
        Assert.True(_connection.WaitsForDrain);
        _connection.Drain();
        Dispatch(100, 5, isLast: true, 6);
        _connection.LiveCapacity = null;
        _connection.Drain();
        Dispatch(200, 0, isLast: true, 7);

        Assert.Equal(1, _connection.FellBehind);
        Assert.Equal(
        [
            ("ack", "t", null, false),
            ("broadcast", "t", 1, false), ("broadcast", "t", 2, false), // 3 found the queue full
            ("broadcast", "t", 3, false), ("broadcast", "t", 4, false), ("broadcast", "t", 5, false), // from the log
            ("broadcast", "t", 6, true),
            ("broadcast", "t", 7, true),
        ], Sent());
    }

    [Fact]
    public void A_queue_that_fills_on_the_change_that_ends_a_transaction_resends_it_with_tx_end()
    {
        Subscribe(TableT);
        _connection.LiveCapacity = 1;
        Dispatch(100, 0, isLast: true, 1, 2);
        Dispatch(200, 0, isLast: true, 3);
        _connection.LiveCapacity = null;
        _connection.Drain();
        Dispatch(300, 0, isLast: true, 4);

        Assert.Equal(
        [
            ("ack", "t", null, false),
            ("broadcast", "t", 1, false),
            ("broadcast", "t", 2, true), ("broadcast", "t", 3, true),
            ("broadcast", "t", 4, true),
        ], Sent());
    }

    [Fact]
    public void Nothing_is_queued_live_while_behind_and_the_other_subscriptions_of_the_connection_continue_where_they_were()
    {
        Subscribe(TableT);
        Subscribe(TableU);
        _connection.LiveCapacity = 3;
        Dispatch(100, 0, isLast: true, (TableU, 1), (TableT, 2), (TableU, 3), (TableT, 4), (TableU, 5));
        Dispatch(200, 0, isLast: true, (TableT, 6), (TableU, 7));
        var whileBehind = Sent().Count;
        Dispatch(300, 0, isLast: true, (TableU, 8));
        Assert.Equal(whileBehind, Sent().Count);
        _connection.LiveCapacity = null;
        _connection.Drain();

        var changes = Sent().Where(frame => frame.Type == "broadcast").ToList();
        Assert.Equal([(2L, false), (4L, true), (6L, true)], changes.Where(c => c.Table == "t").Select(c => (c.Id!.Value, c.TxEnd)));
        Assert.Equal([(1L, false), (3L, false), (5L, true), (7L, true), (8L, true)], changes.Where(c => c.Table == "u").Select(c => (c.Id!.Value, c.TxEnd)));
    }

    [Fact]
    public void Changes_that_left_retention_while_behind_end_the_subscription_with_resync_required()
    {
        var test = new FallingBehindTests(maxChanges: 2);
        test.Subscribe(TableT);
        test._connection.LiveCapacity = 1;
        test.Dispatch(100, 0, isLast: true, 1);
        test.Dispatch(200, 0, isLast: true, 2);
        test.Dispatch(300, 0, isLast: true, 3);
        test.Dispatch(400, 0, isLast: true, 4);
        test._connection.Drain();

        Assert.Empty(test._connection.RouterState.Subscriptions);
        Assert.Equal([("ack", "t", null, false), ("broadcast", "t", 1, true), ("resync_required", "t", null, false)], test.Sent());
    }

    [Fact]
    public void A_token_that_expires_while_behind_holds_the_catch_up_until_it_is_refreshed()
    {
        Subscribe(TableT);
        _connection.LiveCapacity = 1;
        Dispatch(100, 0, isLast: true, 1, 2);
        _router.PauseDelivery(_connection, Paused);
        _connection.LiveCapacity = null;
        _connection.Drain();
        Dispatch(200, 0, isLast: true, 3);
        _router.ResumeDelivery(_connection, Resumed);

        Assert.Equal(
        [
            ("ack", "t", null, false), ("broadcast", "t", 1, false), ("error", null, null, false), ("auth_ok", null, null, false),
            ("broadcast", "t", 2, true), ("broadcast", "t", 3, true),
        ], Sent());
    }

    [Fact]
    public void Whatever_the_queue_size_and_drains_each_subscription_gets_its_changes_once_in_order_with_tx_end() =>
        Gen.Select(Gen.Int[1, 6], Gen.Bool.Array[1, 5].Array[1, 10], Gen.Int[0, 3].Array[10], Gen.Int[0, 4].Array[10], Gen.Int[-1, 10])
            .Sample(static (capacity, transactions, drainsAfter, batchCuts, pauseAt) =>
                new FallingBehindTests().Run(capacity, transactions, drainsAfter, batchCuts, pauseAt), iter: 500);

    /// <summary>
    /// Transactions of rows of t (false) and u (true), each dispatched in batches cut at <paramref name="batchCuts"/>, the queue
    /// drained <paramref name="drainsAfter"/> times after each, the token paused around transaction <paramref name="pauseAt"/>.
    /// </summary>
    private void Run(int capacity, bool[][] transactions, int[] drainsAfter, int[] batchCuts, int pauseAt)
    {
        Subscribe(TableT);
        Subscribe(TableU);
        _connection.LiveCapacity = capacity;
        var expected = new Dictionary<string, List<(long, bool)>> { ["t"] = [], ["u"] = [] };
        var id = 1L;
        for (var t = 0; t < transactions.Length; t++)
        {
            if (t == pauseAt)
                _router.PauseDelivery(_connection, Paused);
            var rows = transactions[t].Select(inU => (Table: inU ? TableU : TableT, Id: id++)).ToArray();
            foreach (var table in new[] { TableT, TableU })
            {
                var ofTable = rows.Where(row => row.Table == table).ToArray();
                for (var i = 0; i < ofTable.Length; i++)
                    expected[table.Name].Add((ofTable[i].Id, i == ofTable.Length - 1));
            }
            var cut = Math.Min(batchCuts[t], rows.Length);
            var lsn = (ulong)(t + 1) * 100;
            if (cut > 0 && cut < rows.Length)
            {
                Dispatch(lsn, 0, isLast: false, rows[..cut]);
                Dispatch(lsn, (uint)cut, isLast: true, rows[cut..]);
            }
            else
            {
                Dispatch(lsn, 0, isLast: true, rows);
            }
            for (var d = 0; d < drainsAfter[t]; d++)
                _connection.Drain();
            if (t == pauseAt)
                _router.ResumeDelivery(_connection, Resumed);
        }
        _connection.LiveCapacity = null;
        _connection.Drain();
        Assert.False(_connection.WaitsForDrain);

        var changes = Sent().Where(frame => frame.Type == "broadcast").ToList();
        foreach (var (table, want) in expected)
            Assert.Equal(want, changes.Where(c => c.Table == table).Select(c => (c.Id!.Value, c.TxEnd)).ToList());
    }
}
