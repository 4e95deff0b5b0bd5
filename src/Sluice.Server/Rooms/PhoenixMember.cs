using Sluice.Server.Protocols.Supabase;

namespace Sluice.Server.Rooms;

/// <summary>A room subscriber on the Supabase (Phoenix) protocol: its serializer and the join_ref of its channel.</summary>
public sealed record PhoenixMember(PhoenixVersion Version, string JoinRef);
