using Sluice.Server.Auth;
using Sluice.Server.Connections;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// Supabase's connection-level frames: none. Its clients send the heartbeats; an expired token ends the channels (see
/// <see cref="SupabaseSession"/>) and a refreshed one is not acknowledged.
/// </summary>
internal sealed class SupabaseConnectionProtocol : ConnectionProtocol
{
    public static SupabaseConnectionProtocol Instance { get; } = new();

    public override string Name => "supabase";

    public override byte[]? Heartbeat => null;

    public override byte[]? TokenExpired() => null;

    public override byte[]? TokenAccepted(ConnectionIdentity identity) => null;
}
