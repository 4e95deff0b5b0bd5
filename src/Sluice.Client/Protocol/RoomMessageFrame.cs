using System.Text.Json;

namespace Sluice.Client.Protocol;

/// <summary>A room message as received, payload still JSON.</summary>
internal sealed record RoomMessageFrame(string Event, JsonElement Payload, string Offset);
