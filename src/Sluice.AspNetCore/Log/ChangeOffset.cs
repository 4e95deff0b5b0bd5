using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Sluice.Protocol;

namespace Sluice.Server.Log;

/// <summary>
/// The position of a change: its transaction's commit LSN and its index inside the transaction.
/// On the wire it is prefixed with the log epoch: <c>{epoch}-{lsn:16 hex}-{index:8 hex}</c>, e.g.
/// <c>3f2a9c01-00000000016B3748-00000003</c>, so offsets of one epoch also sort as strings.
/// </summary>
internal readonly record struct ChangeOffset(ulong CommitLsn, uint Index) : IComparable<ChangeOffset>
{
    /// <summary>Length of a formatted offset.</summary>
    public const int TextLength = Offsets.ChangeOffsetLength;

    public int CompareTo(ChangeOffset other)
    {
        var byLsn = CommitLsn.CompareTo(other.CommitLsn);
        return byLsn != 0 ? byLsn : Index.CompareTo(other.Index);
    }

    public static bool operator <(ChangeOffset left, ChangeOffset right) => left.CompareTo(right) < 0;
    public static bool operator >(ChangeOffset left, ChangeOffset right) => left.CompareTo(right) > 0;
    public static bool operator <=(ChangeOffset left, ChangeOffset right) => left.CompareTo(right) <= 0;
    public static bool operator >=(ChangeOffset left, ChangeOffset right) => left.CompareTo(right) >= 0;

    public string Format(LogEpoch epoch) =>
        string.Create(TextLength, (this, epoch.Value), static (span, state) =>
        {
            var (offset, epoch) = state;
            epoch.AsSpan().CopyTo(span);
            span[LogEpoch.Length] = '-';
            offset.CommitLsn.TryFormat(span[(LogEpoch.Length + 1)..], out _, "X16", CultureInfo.InvariantCulture);
            span[LogEpoch.Length + 17] = '-';
            offset.Index.TryFormat(span[(LogEpoch.Length + 18)..], out _, "X8", CultureInfo.InvariantCulture);
        });

    /// <summary>
    /// Writes the offset as <paramref name="property"/>'s string value, formatted straight into the writer's UTF-8 (no
    /// string: the log keeps no offset text per change, see <see cref="LogEntry.WriteOffset"/>).
    /// </summary>
    public void WriteTo(System.Text.Json.Utf8JsonWriter writer, ReadOnlySpan<byte> property, LogEpoch epoch)
    {
        Span<byte> text = stackalloc byte[TextLength];
        System.Text.Encoding.ASCII.GetBytes(epoch.Value.AsSpan(0, LogEpoch.Length), text);
        text[LogEpoch.Length] = (byte)'-';
        CommitLsn.TryFormat(text[(LogEpoch.Length + 1)..], out _, "X16", CultureInfo.InvariantCulture);
        text[LogEpoch.Length + 17] = (byte)'-';
        Index.TryFormat(text[(LogEpoch.Length + 18)..], out _, "X8", CultureInfo.InvariantCulture);
        writer.WriteString(property, text);
    }

    public override string ToString() => $"{CommitLsn:X16}-{Index:X8}";

    /// <summary>Parses a formatted offset into its epoch and position (the shared rules of <see cref="Offsets"/>).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out string? epoch, out ChangeOffset offset)
    {
        var parsed = Offsets.TryParseChange(text, out epoch, out var lsn, out var index);
        offset = parsed ? new ChangeOffset(lsn, index) : default;
        return parsed;
    }
}
