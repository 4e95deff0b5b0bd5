using System.Globalization;
using System.Text;
using Sluice.Protocol;
using Sluice.Server.Capture;
using Sluice.Server.Filters;
using Sluice.Server.Log;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Routing;

namespace Sluice.Tests.Routing;

/// <summary>
/// Pausing delivery (expired token) and resuming it (refreshed token) against the real router and change log: every
/// change arrives once, in order, with <c>tx_end</c> on the last one of each transaction, even when the pause falls
/// between two batches of one transaction.
/// </summary>
public sealed class PausedDeliveryTests
{
    private static readonly TableSchema Table = new(1, "public", "t",
    [
        new TableColumn("id", new ColumnType(20, ValueKind.Integer), IsKey: true),
    ]);

    private static readonly DateTime Now = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly byte[] Paused = Encoding.UTF8.GetBytes("""{"type":"error","code":"token_expired","error":"paused"}""");
    private static readonly byte[] Resumed = Encoding.UTF8.GetBytes("""{"type":"auth_ok","role":"r"}""");

    private readonly ChangeLog _log;
    private readonly SubscriptionRouter _router;
    private readonly RecordingSink _connection = new();

    public PausedDeliveryTests() : this(maxChanges: 1000)
    {
    }

    private PausedDeliveryTests(int maxChanges)
    {
        _log = new ChangeLog(new LogEpoch("00000001"), new RetentionLimits(maxChanges, long.MaxValue, TimeSpan.FromHours(1)));
        _log.Start(0);
        _router = new SubscriptionRouter(_log);
    }

    private Subscription Subscribe(string? filter = null)
    {
        RowFilter? rowFilter = null;
        if (filter is not null)
            Assert.True(RowFilter.TryParse(filter, Table, out rowFilter, out var error), error);
        var subscription = new Subscription(_connection, "table:public.t", new TableKey("public", "t"), ChangeEvents.All, filter, rowFilter, filter is null ? null : Table)
        {
            Format = NativeChangeFormat.Default,
        };
        _router.Subscribe(subscription);
        return subscription;
    }

    /// <summary>Dispatches rows <paramref name="ids"/> as one batch of the transaction committed at <paramref name="lsn"/>.</summary>
    private void Dispatch(ulong lsn, uint firstIndex, bool isLast, params long[] ids) =>
        _router.Dispatch(new TransactionBatch
        {
            Xid = (uint)lsn,
            CommitLsn = lsn,
            CommitTimestamp = Now,
            FirstIndex = firstIndex,
            Changes = ids.Select(id => new RowChange(ChangeKind.Insert, Table, [id.ToString(CultureInfo.InvariantCulture)], null)).ToArray(),
            IsLast = isLast,
            EndLsn = lsn + 10,
        }, Now);

    /// <summary>Everything the router queued to the connection, in order: (type, id, tx_end) per frame.</summary>
    private List<(string Type, long? Id, bool TxEnd)> Sent() =>
        [.. _connection.NativeFrames().Select(frame => (frame.Type, frame.Id, frame.TxEnd))];

    [Fact]
    public void A_pause_between_batches_of_one_transaction_loses_and_repeats_nothing()
    {
        Subscribe();
        Dispatch(100, 0, isLast: true, 1, 2);
        Dispatch(200, 0, isLast: false, 3, 4);
        _router.PauseDelivery(_connection, Paused);
        Dispatch(200, 2, isLast: true, 5, 6);
        Dispatch(300, 0, isLast: true, 7);
        _router.ResumeDelivery(_connection, Resumed);
        Dispatch(400, 0, isLast: false, 8);
        Dispatch(400, 1, isLast: true, 9);

        Assert.Equal(
        [
            ("ack", null, false),
            ("broadcast", 1, false), ("broadcast", 2, true),
            ("broadcast", 3, false), // 4 was held back to learn whether it ends the transaction: delivered after the resume
            ("error", null, false),
            ("auth_ok", null, false),
            ("broadcast", 4, false), ("broadcast", 5, false), ("broadcast", 6, true),
            ("broadcast", 7, true),
            ("broadcast", 8, false), ("broadcast", 9, true),
        ], Sent());
    }

    [Fact]
    public void A_pause_that_ends_in_the_middle_of_a_transaction_continues_it_live()
    {
        Subscribe();
        _router.PauseDelivery(_connection, Paused);
        Dispatch(100, 0, isLast: false, 1, 2);
        _router.ResumeDelivery(_connection, Resumed);
        Dispatch(100, 2, isLast: true, 3);

        Assert.Equal(
        [
            ("ack", null, false), ("error", null, false), ("auth_ok", null, false),
            ("broadcast", 1, false), ("broadcast", 2, false), ("broadcast", 3, true),
        ], Sent());
    }

    [Fact]
    public void Resuming_when_nothing_was_paused_only_confirms()
    {
        Subscribe();
        Dispatch(100, 0, isLast: true, 1);
        _router.ResumeDelivery(_connection, Resumed);
        Dispatch(200, 0, isLast: true, 2);

        Assert.Equal([("ack", null, false), ("broadcast", 1, true), ("auth_ok", null, false), ("broadcast", 2, true)], Sent());
    }

    [Fact]
    public void Changes_that_left_retention_during_the_pause_end_the_subscription_with_resync_required()
    {
        var test = new PausedDeliveryTests(maxChanges: 2);
        test.Subscribe();
        test.Dispatch(100, 0, isLast: true, 1);
        test._router.PauseDelivery(test._connection, Paused);
        test.Dispatch(200, 0, isLast: true, 2);
        test.Dispatch(300, 0, isLast: true, 3);
        test.Dispatch(400, 0, isLast: true, 4);
        test._router.ResumeDelivery(test._connection, Resumed);
        test.Dispatch(500, 0, isLast: true, 5);

        Assert.Empty(test._connection.RouterState.Subscriptions);
        Assert.Equal([("ack", null, false), ("broadcast", 1, true), ("error", null, false), ("auth_ok", null, false), ("resync_required", null, false)],
            test.Sent());
    }

    [Fact]
    public void A_rarely_matching_filter_resumes_from_what_it_had_seen_not_from_its_last_match()
    {
        var test = new PausedDeliveryTests(maxChanges: 2);
        test.Subscribe("id=gt.100");
        test.Dispatch(100, 0, isLast: true, 101);
        for (var i = 0; i < 5; i++)
            test.Dispatch(200 + (ulong)i * 100, 0, isLast: true, i);
        test._router.PauseDelivery(test._connection, Paused);
        test.Dispatch(900, 0, isLast: true, 102);
        test._router.ResumeDelivery(test._connection, Resumed);

        Assert.Equal([("ack", null, false), ("broadcast", 101, true), ("error", null, false), ("auth_ok", null, false), ("broadcast", 102, true)],
            test.Sent());
    }
}
