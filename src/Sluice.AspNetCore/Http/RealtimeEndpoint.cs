using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Connections;
using Sluice.Server.Hosting;
using Sluice.Server.Limits;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Rooms;
using Sluice.Server.Routing;

namespace Sluice.Server.Http;

/// <summary>
/// <c>/realtime</c>: authenticates the upgrade request (<c>?token=</c> or <c>Authorization: Bearer</c>), accepts the
/// WebSocket and runs the native protocol on it until it closes. A refused token still gets the WebSocket: the
/// client receives an <c>error</c> frame with the reason's code and then close 4001, which browsers can read
/// (a failed upgrade would only show them a generic error). A client IP address that already has
/// <see cref="LimitsOptions.MaxConnectionsPerAddress"/> open connections is refused the same way, with
/// <c>too_many_connections</c> and close 1013; the count is released however the connection ends.
/// </summary>
internal static partial class RealtimeEndpoint
{
    private static readonly TimeSpan RejectionGracePeriod = TimeSpan.FromSeconds(2);

    public static async Task HandleAsync(
        HttpContext context,
        ConnectionRegistry connections,
        SubscriptionServices services,
        DatabaseBroadcasts databaseBroadcasts,
        TokenValidator tokens,
        RoomRegistry rooms,
        IOptions<SluiceOptions> options,
        IOptions<AuthOptions> authOptions,
        ConnectionLimits limits,
        NativeChangeFormat changeFormat,
        Observability.SluiceMetrics metrics,
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

        // Counted before anything else, so a client opening connections in a loop costs no token validation;
        // released when this request ends, whichever way. Over the limit, the connection is refused like a bad token.
        using var addressLease = limits.Addresses.TryAcquire(context.Connection.RemoteIpAddress);
        var authentication = addressLease is null
            ? AuthResult.Failure(ErrorCodes.TooManyConnections, limits.TooManyConnectionsMessage)
            : RequestToken.TryRead(context.Request, out var token, out var tokenError)
                ? await tokens.AuthenticateAsync(token, context.RequestAborted)
                : tokenError!;

        var logger = loggers.CreateLogger("Sluice.Connection");
        var (socket, connection) = await ConnectionHost.AcceptAsync(context, options.Value, logger, NativeConnectionProtocol.Instance, metrics);
        using (socket)
        {
            if (!authentication.Succeeded)
            {
                LogRefused(logger, authentication.ErrorCode);
                await RefuseAsync(socket, connection, authentication);
                return;
            }
            await ConnectionHost.RunAsync(
                connection,
                () => new ConnectionAuth(connection, authentication.Identity, services.Router, authOptions.Value.ClockSkew, rooms: rooms),
                auth => new NativeSession(socket, connection, services, changeFormat, auth, tokens, rooms, databaseBroadcasts, options.Value.MaxMessageBytes, limits, logger)
                    .RunAsync(context.RequestAborted),
                connections, services.Router, rooms, lifetime);
        }
    }

    /// <summary>
    /// Sends the refusal's error frame, closes with 4001 (1013 when the keys are unavailable or the address has too many
    /// connections) and waits briefly for the client's close.
    /// </summary>
    private static async Task RefuseAsync(WebSocket socket, ClientConnection connection, AuthResult refusal)
    {
        var finished = connection.Finished;
        connection.TryEnqueue(NativeFrames.Error(refusal.ErrorCode!, refusal.ErrorMessage!));
        connection.Close(refusal.ErrorCode is ErrorCodes.AuthUnavailable or ErrorCodes.TooManyConnections ? CloseCodes.TryAgainLater : CloseCodes.Unauthorized,
            refusal.ErrorCode!, sendQueued: true);
        try
        {
            using var grace = new CancellationTokenSource(RejectionGracePeriod);
            var buffer = new byte[256];
            while ((await socket.ReceiveAsync(buffer.AsMemory(), grace.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The client did not answer the close in time, or is gone.
        }
        await finished;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "WebSocket connection refused: {Code}")]
    private static partial void LogRefused(ILogger logger, string code);
}
