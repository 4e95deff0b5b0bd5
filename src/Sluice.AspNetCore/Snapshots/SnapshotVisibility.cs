using System.Collections.Frozen;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Server.Snapshots;

/// <summary>
/// Which transactions a <c>REPEATABLE READ</c> snapshot sees, from <c>pg_current_snapshot()</c>. A logged
/// transaction the snapshot sees is already in the snapshot's rows and must not be sent again.
/// </summary>
/// <param name="Xmin">Every transaction before this xid had finished when the snapshot was taken.</param>
/// <param name="Xmax">No transaction from this xid on is visible.</param>
/// <param name="InProgress">Transactions running when the snapshot was taken (invisible).</param>
/// <param name="StartLsn">WAL insert position before the snapshot was taken.</param>
/// <param name="EndLsn">WAL insert position after it: every transaction committed later is invisible.</param>
internal sealed record SnapshotVisibility(uint Xmin, uint Xmax, FrozenSet<uint> InProgress, ulong StartLsn, ulong EndLsn)
{
    /// <summary>Whether a committed transaction with this (32-bit) xid is visible in the snapshot.</summary>
    public bool Sees(uint xid)
    {
        if (Precedes(xid, Xmin))
            return true;
        return Precedes(xid, Xmax) && !InProgress.Contains(xid);
    }

    /// <summary>Whether a committed transaction is already contained in the snapshot.</summary>
    public bool Contains(uint xid, ulong commitLsn) => commitLsn < EndLsn && Sees(xid);

    /// <summary>The WAL insert position now: read on the connection before the snapshot's transaction begins (its <see cref="StartLsn"/>).</summary>
    public static async Task<ulong> ReadInsertLsnAsync(NpgsqlConnection db, CancellationToken cancellationToken)
    {
        await using var before = new NpgsqlCommand("SELECT pg_catalog.pg_current_wal_insert_lsn()", db);
        return (ulong)(NpgsqlLogSequenceNumber)(await before.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Takes the snapshot of <paramref name="transaction"/> (<c>REPEATABLE READ</c>: its first statement fixes what every later
    /// one sees) and what it sees, with <paramref name="startLsn"/> read before the transaction began.
    /// </summary>
    public static async Task<SnapshotVisibility> TakeAsync(NpgsqlConnection db, NpgsqlTransaction transaction, ulong startLsn,
        CancellationToken cancellationToken)
    {
        await using var snapshot = new NpgsqlCommand(
            "SELECT CAST(pg_catalog.pg_current_snapshot() AS pg_catalog.text), pg_catalog.pg_current_wal_insert_lsn()", db, transaction);
        await using var reader = await snapshot.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Parse(reader.GetString(0), startLsn, (ulong)reader.GetFieldValue<NpgsqlLogSequenceNumber>(1));
    }

    /// <summary>Parses <c>pg_current_snapshot()::text</c>, <c>xmin:xmax:xip,xip</c> (64-bit xids, kept modulo 2^32 as pgoutput sends them).</summary>
    public static SnapshotVisibility Parse(string text, ulong startLsn, ulong endLsn)
    {
        var parts = text.Split(':');
        if (parts.Length != 3)
            throw new FormatException($"unexpected snapshot format \"{text}\"");
        var inProgress = new HashSet<uint>();
        foreach (var xid in parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries))
            inProgress.Add(Xid32(xid));
        return new SnapshotVisibility(Xid32(parts[0]), Xid32(parts[1]), inProgress.ToFrozenSet(), startLsn, endLsn);
    }

    private static uint Xid32(string xid8) => unchecked((uint)ulong.Parse(xid8, CultureInfo.InvariantCulture));

    private static bool Precedes(uint a, uint b) => unchecked((int)(a - b)) < 0;
}
