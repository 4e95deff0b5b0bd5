using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Sluice.Protocol;

/// <summary>
/// The two kinds of offset on the wire, their parsing and their order. An offset names a position in one history (an
/// epoch); offsets of different epochs, or of different kinds, have no order: the server answers such a <c>since</c>
/// with <c>resync_required</c>.
/// <list type="bullet">
/// <item><description>
/// A change-log offset (<c>offset</c> of table changes and snapshots, <c>database_offset</c> of database broadcasts):
/// <c>{epoch}-{commit LSN}-{index}</c>, the epoch 8 lowercase hex digits, the LSN 16 and the index 8 hex digits, for
/// example <c>3f2a9c01-00000000016B3748-00000003</c>.
/// </description></item>
/// <item><description>
/// A room offset (<c>offset</c> of room broadcasts): <c>r{epoch}-{sequence}</c>, the epoch and the sequence (at most 16
/// digits) in hex, for example <c>r5d1e0a7b-000000000000002a</c>.
/// </description></item>
/// </list>
/// </summary>
public static class Offsets
{
    /// <summary>The length of a change-log offset's epoch, in hex digits.</summary>
    public const int EpochLength = 8;

    /// <summary>The length of a change-log offset, in characters.</summary>
    public const int ChangeOffsetLength = EpochLength + 1 + 16 + 1 + 8;

    /// <summary>The first character of every room offset.</summary>
    public const char RoomOffsetPrefix = 'r';

    /// <summary>The longest sequence of a room offset, in hex digits.</summary>
    public const int MaxRoomSequenceDigits = 16;

    /// <summary>Whether <paramref name="epoch"/> is a change-log epoch: exactly 8 lowercase hex digits.</summary>
    /// <param name="epoch">The text to check.</param>
    public static bool IsValidEpoch(ReadOnlySpan<char> epoch)
    {
        if (epoch.Length != EpochLength)
            return false;
        foreach (var c in epoch)
        {
            if (!char.IsAsciiDigit(c) && !char.IsAsciiHexDigitLower(c))
                return false;
        }
        return true;
    }

    /// <summary>Parses a change-log offset into its epoch, commit LSN and index within the transaction.</summary>
    /// <param name="text">The offset, as sent by the server.</param>
    /// <param name="epoch">The log epoch.</param>
    /// <param name="commitLsn">The commit LSN of the change's transaction.</param>
    /// <param name="index">The change's index within its transaction.</param>
    /// <returns>False when <paramref name="text"/> is not shaped like a change-log offset.</returns>
    public static bool TryParseChange(string? text, [NotNullWhen(true)] out string? epoch, out ulong commitLsn, out uint index)
    {
        epoch = null;
        commitLsn = 0;
        index = 0;
        if (text is null || text.Length != ChangeOffsetLength || text[EpochLength] != '-' || text[EpochLength + 17] != '-')
            return false;
        var epochPart = text.AsSpan(0, EpochLength);
        if (!IsValidEpoch(epochPart)
            || !ulong.TryParse(text.AsSpan(EpochLength + 1, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out commitLsn)
            || !uint.TryParse(text.AsSpan(EpochLength + 18, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out index))
        {
            commitLsn = 0;
            index = 0;
            return false;
        }
        epoch = epochPart.ToString();
        return true;
    }

    /// <summary>Parses a room offset into its epoch and sequence.</summary>
    /// <param name="text">The offset, as sent by the server.</param>
    /// <param name="epoch">The room history's epoch (hex digits, without the <c>r</c>).</param>
    /// <param name="sequence">The message's sequence number.</param>
    /// <returns>False when <paramref name="text"/> is not shaped like a room offset.</returns>
    public static bool TryParseRoom(string? text, [NotNullWhen(true)] out string? epoch, out ulong sequence)
    {
        epoch = null;
        sequence = 0;
        if (text is null || text.Length < 4 || text[0] != RoomOffsetPrefix)
            return false;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash < 2 || dash != text.LastIndexOf('-') || text.Length - dash - 1 > MaxRoomSequenceDigits)
            return false;
        foreach (var c in text.AsSpan(1, dash - 1))
        {
            if (!char.IsAsciiHexDigit(c))
                return false;
        }
        if (!ulong.TryParse(text.AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out sequence))
            return false;
        epoch = text[1..dash];
        return true;
    }

    /// <summary>
    /// Orders two offsets of the same kind and epoch: <paramref name="order"/> is negative when <paramref name="x"/> comes
    /// first, zero when they are the same position, positive when <paramref name="x"/> comes later.
    /// </summary>
    /// <param name="x">An offset.</param>
    /// <param name="y">Another offset.</param>
    /// <param name="order">The order, when there is one.</param>
    /// <returns>False when they have no order: different kinds or epochs, or either is not an offset.</returns>
    public static bool TryCompare(string? x, string? y, out int order)
    {
        order = 0;
        if (TryParseChange(x, out var xEpoch, out var xLsn, out var xIndex))
        {
            if (!TryParseChange(y, out var yEpoch, out var yLsn, out var yIndex) || xEpoch != yEpoch)
                return false;
            order = xLsn != yLsn ? xLsn.CompareTo(yLsn) : xIndex.CompareTo(yIndex);
            return true;
        }
        if (TryParseRoom(x, out var xRoomEpoch, out var xSequence))
        {
            if (!TryParseRoom(y, out var yRoomEpoch, out var ySequence) || xRoomEpoch != yRoomEpoch)
                return false;
            order = xSequence.CompareTo(ySequence);
            return true;
        }
        return false;
    }

    /// <summary>
    /// Whether <paramref name="offset"/> is at or before <paramref name="last"/> in the same history: a delivery that a
    /// client which has seen <paramref name="last"/> already has. False when the two have no order.
    /// </summary>
    /// <param name="offset">The offset of something received.</param>
    /// <param name="last">The last offset seen.</param>
    public static bool IsAtOrBefore(string? offset, string? last) => TryCompare(offset, last, out var order) && order <= 0;
}
