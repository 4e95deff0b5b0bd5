using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Sluice.Protocol;
using Sluice.Server.Connections;
using Sluice.Server.Hosting;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Routing;

namespace Sluice.Server.Http;

/// <summary><c>/realtime</c>: accepts a WebSocket and runs the native protocol on it until it closes.</summary>
public static class RealtimeEndpoint
{
    public static async Task HandleAsync(
        HttpContext context,
        ConnectionRegistry connections,
        SubscriptionServices services,
        IOptions<SluiceOptions> options,
        ILoggerFactory loggers,
        IHostApplicationLifetime lifetime)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(
                new ErrorResponse("this endpoint speaks WebSocket: connect with ws://host/realtime", "websocket_required"),
                ServerJsonContext.Default.ErrorResponse);
            return;
        }

        var settings = options.Value;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = settings.KeepAliveInterval,
            KeepAliveTimeout = settings.KeepAliveTimeout,
        });
        var logger = loggers.CreateLogger("Sluice.Connection");
        var connection = new ClientConnection(socket, settings.OutboundQueueFrames, settings.OutboundQueueBytes, logger,
            (context.Features.Get<IHttpUpgradeFeature>() as CoalescingUpgradeFeature)?.Stream);
        connections.Add(connection);
        var writer = connection.RunWriterAsync();
        try
        {
            using var stopping = lifetime.ApplicationStopping.Register(
                static state => ((ClientConnection)state!).Close(CloseCodes.GoingAway, "server shutting down", sendQueued: true), connection);
            await new NativeSession(socket, connection, services, settings.MaxMessageBytes, logger).RunAsync(context.RequestAborted);
        }
        finally
        {
            services.Router.RemoveAll(connection);
            connection.Complete();
            await writer;
            connections.Remove(connection);
        }
    }
}
