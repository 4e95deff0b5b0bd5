using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Connections;
using Sluice.Server.Hosting;
using Sluice.Server.Observability;
using Sluice.Server.Rooms;
using Sluice.Server.Routing;

namespace Sluice.Server.Http;

/// <summary>
/// The lifetime every WebSocket protocol shares: accept with keep-alives, one <see cref="ClientConnection"/> and its
/// writer, registration for stats, closing with 1001 when the server stops, and removal from the router and rooms
/// however the session ends.
/// </summary>
internal static class ConnectionHost
{
    public static async Task<(WebSocket Socket, ClientConnection Connection)> AcceptAsync(
        HttpContext context, SluiceOptions settings, ILogger logger, ConnectionProtocol protocol, SluiceMetrics metrics)
    {
        var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = settings.KeepAliveInterval,
            KeepAliveTimeout = settings.KeepAliveTimeout,
        });
        var connection = new ClientConnection(socket, settings.OutboundQueueFrames, settings.OutboundQueueBytes, logger,
            (context.Features.Get<IHttpUpgradeFeature>() as CoalescingUpgradeFeature)?.Stream)
        {
            Protocol = protocol,
            Metrics = metrics,
            Time = context.RequestServices.GetRequiredService<TimeProvider>(),
        };
        return (socket, connection);
    }

    /// <summary>Runs <paramref name="session"/> for an accepted, authenticated connection and cleans up after it.</summary>
    public static async Task RunAsync(
        ClientConnection connection,
        Func<ConnectionAuth> createAuth,
        Func<ConnectionAuth, Task> session,
        ConnectionRegistry connections,
        SubscriptionRouter router,
        RoomRegistry rooms,
        IHostApplicationLifetime lifetime)
    {
        connections.Add(connection);
        var finished = connection.Finished;
        var auth = createAuth();
        try
        {
            using var stopping = lifetime.ApplicationStopping.Register(
                static state => ((ClientConnection)state!).Close(CloseCodes.GoingAway, "server shutting down", sendQueued: true), connection);
            await session(auth);
        }
        finally
        {
            auth.Dispose();
            router.RemoveAll(connection);
            rooms.RemoveAll(connection);
            connection.Complete();
            await finished;
            connections.Remove(connection);
        }
    }
}
