using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using Sluice.Server.Capture;
using Sluice.Server.Log;

namespace Sluice.Server.Cluster;

/// <summary>
/// The binary form of a <see cref="TransactionBatch"/> in the change stream: the batch header, the tables its changes
/// belong to (relation id, names, columns with their resolved types), then each change with its values. Little-endian
/// fixed-size numbers, strings as a length and UTF-8 bytes. Values keep the distinction between SQL NULL and a value the
/// WAL did not carry (<see cref="RowValues.Unavailable"/>). Decoding reuses the <see cref="TableSchema"/> instance of a
/// relation as long as its description is unchanged, as capture does.
/// </summary>
internal sealed class ChangeStreamCodec
{
    private const byte Version = 1;
    private const byte NullValue = 0;
    private const byte UnavailableValue = 1;
    private const byte TextValue = 2;

    private readonly Dictionary<uint, TableSchema> _tables = [];

    public static byte[] Encode(TransactionBatch batch)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteByte(buffer, Version);
        WriteUInt32(buffer, batch.Xid);
        WriteUInt64(buffer, batch.CommitLsn);
        WriteUInt64(buffer, (ulong)batch.CommitTimestamp.Ticks);
        WriteUInt32(buffer, batch.FirstIndex);
        WriteByte(buffer, batch.IsLast ? (byte)1 : (byte)0);
        WriteUInt64(buffer, batch.EndLsn);
        if (batch.NewEpoch is { } epoch)
        {
            WriteByte(buffer, 1);
            WriteString(buffer, epoch.Epoch.Value);
            WriteUInt64(buffer, epoch.ConfirmedFlushLsn);
        }
        else
        {
            WriteByte(buffer, 0);
        }

        var tables = new List<TableSchema>();
        var changes = batch.Changes;
        for (var i = 0; i < changes.Length; i++)
        {
            if (!tables.Contains(changes[i].Table))
                tables.Add(changes[i].Table);
        }
        WriteUInt32(buffer, (uint)tables.Count);
        foreach (var table in tables)
        {
            WriteUInt32(buffer, table.RelationId);
            WriteString(buffer, table.Schema);
            WriteString(buffer, table.Name);
            WriteUInt32(buffer, (uint)table.Columns.Length);
            foreach (var column in table.Columns)
            {
                WriteString(buffer, column.Name);
                WriteUInt32(buffer, column.Type.Oid);
                WriteByte(buffer, (byte)column.Type.Kind);
                WriteByte(buffer, column.Type.IsArray ? (byte)1 : (byte)0);
                WriteUInt32(buffer, column.Type.ArrayDelimiter);
                // Bit 0: replica identity; bit 1: primary key (readers that know only bit 0 test for non-zero, and a
                // primary key column is always in a replica identity that is FULL or the primary key itself).
                WriteByte(buffer, (byte)((column.IsKey ? 1 : 0) | (column.IsPrimaryKey ? 2 : 0)));
            }
        }
        WriteUInt32(buffer, (uint)changes.Length);
        for (var i = 0; i < changes.Length; i++)
        {
            var change = changes[i];
            WriteByte(buffer, (byte)change.Kind);
            WriteUInt32(buffer, (uint)tables.IndexOf(change.Table));
            WriteValues(buffer, change.NewValues);
            WriteValues(buffer, change.OldValues);
        }
        // A trailing section (readers that predate it stop before it): tables whose realtime was disabled.
        if (batch.Disabled.Count > 0)
        {
            WriteUInt32(buffer, (uint)batch.Disabled.Count);
            foreach (var disabled in batch.Disabled)
            {
                WriteUInt32(buffer, disabled.RelationId);
                WriteString(buffer, disabled.Schema);
                WriteString(buffer, disabled.Table);
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes one stream entry; not thread-safe (one reader per node).</summary>
    public TransactionBatch Decode(ReadOnlySpan<byte> data)
    {
        var reader = new Reader(data);
        var version = reader.Byte();
        if (version != Version)
            throw new InvalidDataException($"change stream entry of version {version}; this server reads version {Version}");
        var xid = reader.UInt32();
        var commitLsn = reader.UInt64();
        var commitTimestamp = new DateTime((long)reader.UInt64(), DateTimeKind.Utc);
        var firstIndex = reader.UInt32();
        var isLast = reader.Byte() != 0;
        var endLsn = reader.UInt64();
        EpochStart? newEpoch = null;
        if (reader.Byte() != 0)
            newEpoch = new EpochStart(new LogEpoch(reader.String()), reader.UInt64());

        var tableCount = (int)reader.UInt32();
        var tables = new TableSchema[tableCount];
        for (var t = 0; t < tableCount; t++)
        {
            var relationId = reader.UInt32();
            var schema = reader.String();
            var name = reader.String();
            var columnCount = (int)reader.UInt32();
            var columns = ImmutableArray.CreateBuilder<TableColumn>(columnCount);
            for (var c = 0; c < columnCount; c++)
            {
                var columnName = reader.String();
                var oid = reader.UInt32();
                var kind = (ValueKind)reader.Byte();
                var isArray = reader.Byte() != 0;
                var delimiter = (char)reader.UInt32();
                var keyFlags = reader.Byte();
                columns.Add(new TableColumn(columnName, new ColumnType(oid, kind, isArray, delimiter), (keyFlags & 1) != 0, (keyFlags & 2) != 0));
            }
            tables[t] = Intern(relationId, schema, name, columns.MoveToImmutable());
        }

        var changeCount = (int)reader.UInt32();
        var changes = new RowChange[changeCount];
        for (var i = 0; i < changeCount; i++)
        {
            var kind = (ChangeKind)reader.Byte();
            var table = tables[(int)reader.UInt32()];
            var newValues = reader.Values();
            var oldValues = reader.Values();
            changes[i] = new RowChange(kind, table, newValues, oldValues);
        }
        var disabledTables = new List<RealtimeDisabled>();
        if (!reader.AtEnd)
        {
            var count = (int)reader.UInt32();
            for (var i = 0; i < count; i++)
                disabledTables.Add(new RealtimeDisabled(reader.UInt32(), reader.String(), reader.String()));
        }
        return new TransactionBatch
        {
            Xid = xid,
            CommitLsn = commitLsn,
            CommitTimestamp = commitTimestamp,
            FirstIndex = firstIndex,
            Changes = changes,
            IsLast = isLast,
            EndLsn = endLsn,
            NewEpoch = newEpoch,
            Disabled = disabledTables,
        };
    }

    private TableSchema Intern(uint relationId, string schema, string name, ImmutableArray<TableColumn> columns)
    {
        if (_tables.TryGetValue(relationId, out var known) && known.Schema == schema && known.Name == name
            && known.Columns.AsSpan().SequenceEqual(columns.AsSpan()))
            return known;
        var table = new TableSchema(relationId, schema, name, columns);
        _tables[relationId] = table;
        return table;
    }

    private static void WriteValues(ArrayBufferWriter<byte> buffer, string?[]? values)
    {
        if (values is null)
        {
            WriteUInt32(buffer, 0);
            return;
        }
        WriteUInt32(buffer, (uint)values.Length + 1);
        foreach (var value in values)
        {
            if (value is null)
            {
                WriteByte(buffer, NullValue);
            }
            else if (RowValues.IsUnavailable(value))
            {
                WriteByte(buffer, UnavailableValue);
            }
            else
            {
                WriteByte(buffer, TextValue);
                WriteString(buffer, value);
            }
        }
    }

    private static void WriteByte(ArrayBufferWriter<byte> buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    private static void WriteUInt32(ArrayBufferWriter<byte> buffer, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
    }

    private static void WriteUInt64(ArrayBufferWriter<byte> buffer, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    private static void WriteString(ArrayBufferWriter<byte> buffer, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteUInt32(buffer, (uint)length);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position >= _data.Length;

        public byte Byte() => _data[_position++];

        public uint UInt32()
        {
            var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
            _position += 4;
            return value;
        }

        public ulong UInt64()
        {
            var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
            _position += 8;
            return value;
        }

        public string String()
        {
            var length = (int)UInt32();
            var value = Encoding.UTF8.GetString(_data.Slice(_position, length));
            _position += length;
            return value;
        }

        public string?[]? Values()
        {
            var count = (int)UInt32();
            if (count == 0)
                return null;
            var values = new string?[count - 1];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = Byte() switch
                {
                    NullValue => null,
                    UnavailableValue => RowValues.Unavailable,
                    _ => String(),
                };
            }
            return values;
        }
    }
}
