using System.Text.Json.Serialization;

namespace Sluice.Server.Cluster;

/// <summary>
/// A room event relayed between nodes: a message (<see cref="Event"/> and <see cref="Payload"/>, JSON text), a presence
/// change (<see cref="Key"/>, <see cref="Ref"/> and <see cref="State"/> for a join, <see cref="LeaveRef"/> for a leave), or,
/// with none of them, "reload my presence".
/// </summary>
internal sealed record RoomRelayMessage(string Node, string Room, string? Event, string? Payload, string? Key, string? Ref, string? State, string? LeaveRef);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RoomRelayMessage))]
internal sealed partial class RoomRelayJsonContext : JsonSerializerContext;
