using System.Globalization;
using System.Text.Json;

namespace Sluice.IntegrationTests.RowSecurity.Chaos;

/// <summary>What a chaos subscriber was sent, and when it arrived.</summary>
public enum ChaosDeliveryKind
{
    /// <summary>A change frame.</summary>
    Change,

    /// <summary>A snapshot row.</summary>
    SnapshotRow,

    /// <summary>An <c>access_check_failed</c> error: the changes of a transaction were withheld.</summary>
    Withheld,
}

/// <summary>
/// One thing a subscriber received (see <see cref="ChaosDeliveryKind"/>); offsets parsed to commit LSN and index. For a
/// withheld transaction, <c>Type</c> holds the error's message.
/// </summary>
public sealed record ChaosDelivery(
    ChaosDeliveryKind Kind, DateTime At, string? Table, string? Type, JsonElement? Record, JsonElement? Old, string? Offset, DateTime? CommittedAt)
{
    /// <summary>For a snapshot row: when the snapshot was asked for (the earliest moment it may have been read).</summary>
    public DateTime RequestedAt { get; init; }

    public ulong CommitLsn => Offset is null ? 0 : ParseLsn(Offset);

    public static ulong ParseLsn(string offset) =>
        ulong.Parse(offset.AsSpan(offset.IndexOf('-', StringComparison.Ordinal) + 1, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    /// <summary>A row's <c>version</c> (globally unique per written row version), or null when the row does not carry it.</summary>
    public static long? Version(JsonElement? row) =>
        row is { ValueKind: JsonValueKind.Object } value && value.TryGetProperty("version", out var version) ? ReadLong(version) : null;

    public static long? Id(JsonElement? row) =>
        row is { ValueKind: JsonValueKind.Object } value && value.TryGetProperty("id", out var id) ? ReadLong(id) : null;

    private static long ReadLong(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetInt64();

    public override string ToString() =>
        $"{Kind} {Type} {Table} @{Offset} at {At:HH:mm:ss.ffffff} record={Record?.GetRawText()} old={Old?.GetRawText()}";
}
