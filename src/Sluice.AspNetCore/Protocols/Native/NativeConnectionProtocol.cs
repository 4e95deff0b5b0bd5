using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Connections;

namespace Sluice.Server.Protocols.Native;

/// <summary>The native protocol's connection-level frames: <c>heartbeat</c>, <c>token_expired</c> and <c>auth_ok</c>.</summary>
internal sealed class NativeConnectionProtocol : ConnectionProtocol
{
    private static readonly byte[] TokenExpiredFrame = NativeFrames.Error(ErrorCodes.TokenExpired,
        "the token expired: delivery is paused and subscriptions are kept; send {\"type\":\"auth\",\"token\":…} with a fresh token to continue where you left off");

    public static NativeConnectionProtocol Instance { get; } = new();

    public override string Name => "native";

    public override byte[]? Heartbeat => NativeFrames.Heartbeat;

    public override byte[]? TokenExpired() => TokenExpiredFrame;

    public override byte[]? TokenAccepted(ConnectionIdentity identity) => NativeFrames.AuthOk(identity.Role, identity.ExpiresAt);
}
