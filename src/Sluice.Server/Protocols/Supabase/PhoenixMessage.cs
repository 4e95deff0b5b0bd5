using System.Text.Json;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>One client message of the Phoenix channel protocol; <see cref="Payload"/> is a JSON value (an object normally).</summary>
public sealed record PhoenixMessage(string? JoinRef, string? Ref, string Topic, string Event, JsonElement Payload);
