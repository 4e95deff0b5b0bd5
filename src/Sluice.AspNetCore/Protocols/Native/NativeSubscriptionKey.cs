using Sluice.Protocol;

namespace Sluice.Server.Protocols.Native;

/// <summary>
/// A native table subscription's name on the wire: its channel (<c>table:schema.table</c>) and, optionally, the client's
/// subscription id (<see cref="SubscriptionIds"/>), and the router channel it maps to. Only this protocol knows about ids:
/// the router sees one distinct router-channel string per (channel, id), so receivers of one (channel, id, shape) share
/// one serialization, and the connection's subscriptions of one table coexist, one per id.
/// </summary>
/// <remarks>
/// Without an id the router channel is the channel itself (as before ids existed: the same frames, byte for byte). With
/// an id it is <c>native:sub:{id}:{channel}</c>: a table channel starts with <c>table:</c> and an id holds no <c>:</c>, so
/// it never collides with a channel without an id, another id, a room's database broadcasts (<c>native:db-broadcast:…</c>)
/// or another protocol's channels, and <see cref="FromRouterChannel"/> reads it back exactly.
/// </remarks>
internal readonly record struct NativeSubscriptionKey(string Channel, string? Id)
{
    private const string IdPrefix = "native:sub:";

    /// <summary>The router channel of this subscription (see the remarks).</summary>
    public string RouterChannel => Id is null ? Channel : string.Concat(IdPrefix, Id, ":", Channel);

    /// <summary>The wire channel and id of a native table subscription's router channel.</summary>
    public static NativeSubscriptionKey FromRouterChannel(string routerChannel)
    {
        if (!routerChannel.StartsWith(IdPrefix, StringComparison.Ordinal))
            return new NativeSubscriptionKey(routerChannel, null);
        var rest = routerChannel.AsSpan(IdPrefix.Length);
        var separator = rest.IndexOf(':');
        return new NativeSubscriptionKey(rest[(separator + 1)..].ToString(), rest[..separator].ToString());
    }
}
