using System.Text.Json;

namespace Sluice.Client.Protocol;

/// <summary>A database change as received, rows still JSON.</summary>
internal sealed record ChangeFrame(
    ChangeKind Kind,
    string Schema,
    string Table,
    JsonElement? Record,
    JsonElement? OldRecord,
    string Offset,
    DateTimeOffset CommitTimestamp,
    bool TransactionEnd);
