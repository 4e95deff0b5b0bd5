using CsCheck;
using Sluice.Server.Capture;
using Sluice.Server.Cluster;
using Sluice.Server.Log;

namespace Sluice.Tests.Cluster;

public sealed class ChangeStreamCodecTests
{
    private static readonly TableSchema Items = new(16384, "public", "items",
    [
        new TableColumn("id", new ColumnType(20, ValueKind.Integer), IsKey: true),
        new TableColumn("tags", new ColumnType(1009, ValueKind.Text, IsArray: true, ArrayDelimiter: ','), IsKey: false),
        new TableColumn("naïve ✓", new ColumnType(99999, ValueKind.Json), IsKey: false),
    ]);

    private static readonly TableSchema Other = new(16390, "app", "other", [new TableColumn("k", new ColumnType(25, ValueKind.Text), IsKey: true)]);

    private static readonly Gen<string?> Value = Gen.Frequency(
        (1, Gen.Const((string?)null)),
        (1, Gen.Const((string?)RowValues.Unavailable)),
        (6, Gen.String.Select(s => (string?)s)));

    private static readonly Gen<RowChange> Change = Gen.Select(Gen.Int[0, 3], Gen.Bool, Value.Array[3], Value.Array[3], Gen.Bool)
        .Select((kind, other, row, old, withOld) => (ChangeKind)kind switch
        {
            ChangeKind.Insert => new RowChange(ChangeKind.Insert, other ? Other : Items, other ? row[..1] : row, null),
            ChangeKind.Update => new RowChange(ChangeKind.Update, other ? Other : Items, other ? row[..1] : row, withOld ? (other ? old[..1] : old) : null),
            ChangeKind.Delete => new RowChange(ChangeKind.Delete, other ? Other : Items, null, other ? old[..1] : old),
            _ => new RowChange(ChangeKind.Truncate, other ? Other : Items, null, null),
        });

    private static readonly Gen<TransactionBatch> Batch = Gen.Select(Gen.UInt, Gen.ULong[1, ulong.MaxValue / 2], Gen.UInt, Gen.Bool, Change.List[0, 20], Gen.Int[0, 9])
        .Select((xid, lsn, first, last, changes, epochMarker) => epochMarker == 0
            ? new TransactionBatch
            {
                Xid = 0, CommitLsn = 0, CommitTimestamp = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), FirstIndex = 0, Changes = [], IsLast = false,
                NewEpoch = new EpochStart(new LogEpoch("0a1b2c3d"), lsn),
            }
            : new TransactionBatch
            {
                Xid = xid, CommitLsn = lsn, CommitTimestamp = new DateTime(638_000_000_000_000_000 + (long)(lsn % 1_000_000_000), DateTimeKind.Utc),
                FirstIndex = first, Changes = [.. changes], IsLast = last, EndLsn = last ? lsn + 40 : 0,
            });

    [Fact]
    public void Every_batch_decodes_to_what_was_encoded() =>
        Batch.Sample(batch =>
        {
            var decoded = new ChangeStreamCodec().Decode(ChangeStreamCodec.Encode(batch));
            Assert.Equal(batch.Xid, decoded.Xid);
            Assert.Equal(batch.CommitLsn, decoded.CommitLsn);
            Assert.Equal(batch.CommitTimestamp, decoded.CommitTimestamp);
            Assert.Equal(DateTimeKind.Utc, decoded.CommitTimestamp.Kind);
            Assert.Equal(batch.FirstIndex, decoded.FirstIndex);
            Assert.Equal(batch.IsLast, decoded.IsLast);
            Assert.Equal(batch.EndLsn, decoded.EndLsn);
            Assert.Equal(batch.NewEpoch, decoded.NewEpoch);
            Assert.Equal(batch.Changes.Length, decoded.Changes.Length);
            for (var i = 0; i < batch.Changes.Length; i++)
            {
                var (expected, actual) = (batch.Changes[i], decoded.Changes[i]);
                Assert.Equal(expected.Kind, actual.Kind);
                Assert.Equal(expected.Table.RelationId, actual.Table.RelationId);
                Assert.Equal(expected.Table.Schema, actual.Table.Schema);
                Assert.Equal(expected.Table.Name, actual.Table.Name);
                Assert.Equal(expected.Table.Columns.ToArray(), actual.Table.Columns.ToArray());
                AssertSameValues(expected.NewValues, actual.NewValues);
                AssertSameValues(expected.OldValues, actual.OldValues);
            }
        });

    [Fact]
    public void A_relation_decodes_to_one_schema_instance_until_its_description_changes()
    {
        var codec = new ChangeStreamCodec();
        TransactionBatch With(TableSchema table) => new()
        {
            Xid = 1, CommitLsn = 100, CommitTimestamp = DateTime.UnixEpoch, FirstIndex = 0, IsLast = true, EndLsn = 140,
            Changes = [new RowChange(ChangeKind.Insert, table, ["1", null, "{}"], null)],
        };
        var first = codec.Decode(ChangeStreamCodec.Encode(With(Items))).Changes[0].Table;
        var second = codec.Decode(ChangeStreamCodec.Encode(With(Items))).Changes[0].Table;
        Assert.Same(first, second);

        var altered = new TableSchema(Items.RelationId, "public", "items", [.. Items.Columns.SetItem(1, Items.Columns[1] with { Name = "labels" })]);
        var third = codec.Decode(ChangeStreamCodec.Encode(With(altered))).Changes[0].Table;
        Assert.NotSame(first, third);
        Assert.Equal("labels", third.Columns[1].Name);
    }

    [Fact]
    public void Stream_ids_follow_commit_order_and_leave_room_for_epoch_markers()
    {
        var batch = new TransactionBatch { Xid = 1, CommitLsn = 500, CommitTimestamp = DateTime.UnixEpoch, FirstIndex = 0, Changes = [], IsLast = true, EndLsn = 540 };
        var second = new TransactionBatch { Xid = 1, CommitLsn = 500, CommitTimestamp = DateTime.UnixEpoch, FirstIndex = 256, Changes = [], IsLast = true, EndLsn = 540 };
        var marker = new TransactionBatch
        {
            Xid = 0, CommitLsn = 0, CommitTimestamp = DateTime.UnixEpoch, FirstIndex = 0, Changes = [], IsLast = false,
            NewEpoch = new EpochStart(new LogEpoch("00000002"), 500),
        };
        Assert.True(ChangeStreamId.Of(marker) < ChangeStreamId.Of(batch));
        Assert.True(ChangeStreamId.Of(batch) < ChangeStreamId.Of(second));
        Assert.True(ChangeStreamId.Before(500) < ChangeStreamId.Of(marker));
        Assert.Equal("500-1", ChangeStreamId.Of(batch).ToString());
        Assert.True(ChangeStreamId.TryParse("18446744073709551615-18446744073709551615", out var largest));
        Assert.Equal(new ChangeStreamId(ulong.MaxValue, ulong.MaxValue), largest);
        Assert.False(ChangeStreamId.TryParse("12", out _));
        Assert.False(ChangeStreamId.TryParse("-1-2", out _));
    }

    private static void AssertSameValues(string?[]? expected, string?[]? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }
        Assert.NotNull(actual);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
            Assert.Equal(RowValues.IsUnavailable(expected[i]), RowValues.IsUnavailable(actual[i]));
        }
    }
}
