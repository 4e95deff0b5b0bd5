namespace Sluice.Server.Connections;

/// <summary>
/// How one connection's protocol writes the events that belong to the connection rather than to one of its channels:
/// the periodic heartbeat, the token's expiry (delivery pauses) and a refreshed token's acceptance. Implemented under
/// <c>Protocols/</c>; null means the protocol sends nothing for the event (its clients learn it otherwise).
/// </summary>
internal abstract class ConnectionProtocol
{
    /// <summary>A protocol that sends none of these events (a connection made outside a protocol session, as in unit tests).</summary>
    public static ConnectionProtocol Silent { get; } = new SilentProtocol();

    /// <summary>The protocol's name in traces (<c>native</c>, <c>supabase</c>); <c>none</c> outside a protocol session.</summary>
    public virtual string Name => "none";

    /// <summary>The heartbeat the server sends periodically, shared by every connection of the protocol; null when clients send theirs.</summary>
    public abstract byte[]? Heartbeat { get; }

    /// <summary>Queued as the last frame before delivery pauses because the token expired.</summary>
    public abstract byte[]? TokenExpired();

    /// <summary>Queued when a refreshed token is accepted, before delivery resumes.</summary>
    public abstract byte[]? TokenAccepted(Auth.ConnectionIdentity identity);

    private sealed class SilentProtocol : ConnectionProtocol
    {
        public override byte[]? Heartbeat => null;

        public override byte[]? TokenExpired() => null;

        public override byte[]? TokenAccepted(Auth.ConnectionIdentity identity) => null;
    }
}
