using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Sluice.Server.Log;

/// <summary>
/// The position of a change: its transaction's commit LSN and its index inside the transaction.
/// Printed as 16 + 8 upper-case hex digits (<c>00000000016B3748-00000003</c>), so offsets also sort as strings.
/// </summary>
public readonly record struct ChangeOffset(ulong CommitLsn, uint Index) : IComparable<ChangeOffset>
{
    public int CompareTo(ChangeOffset other)
    {
        var byLsn = CommitLsn.CompareTo(other.CommitLsn);
        return byLsn != 0 ? byLsn : Index.CompareTo(other.Index);
    }

    public override string ToString() =>
        string.Create(25, this, static (span, offset) =>
        {
            offset.CommitLsn.TryFormat(span, out _, "X16", CultureInfo.InvariantCulture);
            span[16] = '-';
            offset.Index.TryFormat(span[17..], out _, "X8", CultureInfo.InvariantCulture);
        });

    public static bool TryParse(string? text, [NotNullWhen(true)] out ChangeOffset? offset)
    {
        offset = null;
        if (text is null || text.Length != 25 || text[16] != '-')
            return false;
        if (!ulong.TryParse(text.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var lsn)
            || !uint.TryParse(text.AsSpan(17), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var index))
            return false;
        offset = new ChangeOffset(lsn, index);
        return true;
    }
}
