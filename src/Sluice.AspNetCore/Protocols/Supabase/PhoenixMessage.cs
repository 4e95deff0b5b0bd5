using System.Text.Json;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>One client message of the Phoenix channel protocol; <see cref="Payload"/> is a JSON value (an object normally).</summary>
internal sealed record PhoenixMessage(string? JoinRef, string? Ref, string Topic, string Event, JsonElement Payload)
{
    /// <summary>Came as a binary user broadcast push (kind 3).</summary>
    public bool Binary { get; init; }
}
