using System.Text.Json;

namespace Sluice.Client.Protocol;

/// <summary>A room's database broadcast as received (a <c>database_broadcast</c> frame), payload still JSON.</summary>
internal sealed record DatabaseBroadcastFrame(string Event, JsonElement Payload, string? Id, string Offset);
