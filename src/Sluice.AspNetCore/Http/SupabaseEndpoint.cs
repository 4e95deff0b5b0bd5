using Microsoft.Extensions.Options;
using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Connections;
using Sluice.Server.Hosting;
using Sluice.Server.Limits;
using Sluice.Server.Protocols.Supabase;
using Sluice.Server.Rooms;
using Sluice.Server.Routing;

namespace Sluice.Server.Http;

/// <summary>
/// <c>/realtime/v1/websocket</c> and <c>/socket/websocket</c>: the Supabase Realtime (Phoenix) protocol for the unchanged
/// <c>@supabase/realtime-js</c> client. <c>?apikey=</c> is required (401 <c>{"error":"API key is missing"}</c>
/// otherwise) and, on a server with signing keys, must be a valid token (else 401); <c>?vsn=</c> picks the serializer
/// (1.0.0 when absent, 400 when unknown).
/// </summary>
internal static partial class SupabaseEndpoint
{
    public static readonly string[] Routes = ["/realtime/v1/websocket", "/socket/websocket"];

    public static async Task HandleAsync(
        HttpContext context,
        ConnectionRegistry connections,
        SubscriptionServices services,
        DatabaseBroadcasts databaseBroadcasts,
        TokenValidator tokens,
        SigningKeys keys,
        RoomRegistry rooms,
        PrivateTopicAuthorization privateTopics,
        IOptions<SluiceOptions> options,
        IOptions<AuthOptions> authOptions,
        IOptions<SupabaseOptions> supabaseOptions,
        ConnectionLimits limits,
        Observability.SluiceMetrics metrics,
        ILoggerFactory loggers,
        IHostApplicationLifetime lifetime)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new SupabaseError("this endpoint speaks WebSocket"), ServerJsonContext.Default.SupabaseError);
            return;
        }
        if (!PhoenixSerializer.TryParseVersion(context.Request.Query["vsn"], out var version))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new SupabaseError("unsupported vsn; use 1.0.0 or 2.0.0"), ServerJsonContext.Default.SupabaseError);
            return;
        }
        string? apiKey = context.Request.Query["apikey"];
        if (string.IsNullOrEmpty(apiKey))
            apiKey = context.Request.Headers["x-api-key"];
        if (string.IsNullOrEmpty(apiKey))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsJsonAsync(new SupabaseError("API key is missing"), ServerJsonContext.Default.SupabaseError);
            return;
        }

        using var addressLease = limits.Addresses.TryAcquire(context.Connection.RemoteIpAddress);
        if (addressLease is null)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            await context.Response.WriteAsJsonAsync(new SupabaseError(limits.TooManyConnectionsMessage), ServerJsonContext.Default.SupabaseError);
            return;
        }
        var supabaseTokens = new SupabaseTokens(tokens, keys.IsConfigured);
        var authentication = await supabaseTokens.ForConnectAsync(apiKey, context.RequestAborted);
        if (!authentication.Succeeded)
        {
            var logger401 = loggers.CreateLogger("Sluice.Connection");
            LogRefused(logger401, authentication.ErrorCode!);
            context.Response.StatusCode = authentication.ErrorCode == ErrorCodes.AuthUnavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsJsonAsync(new SupabaseError(authentication.ErrorMessage!), ServerJsonContext.Default.SupabaseError);
            return;
        }

        var settings = options.Value;
        var logger = loggers.CreateLogger("Sluice.Connection");
        // Read before the upgrade, while the request's headers are at hand.
        var headersJson = RequestHeadersJson.XHeaders(context.Request.Headers);
        var (socket, connection) = await ConnectionHost.AcceptAsync(context, settings, logger, SupabaseConnectionProtocol.Instance, metrics);
        using (socket)
        {
            await ConnectionHost.RunAsync(
                connection,
                () => new ConnectionAuth(connection, authentication.Identity!, services.Router, authOptions.Value.ClockSkew),
                auth => new SupabaseSession(socket, connection, services, auth, supabaseTokens, rooms, version, settings.MaxMessageBytes, limits,
                    authOptions.Value.ClockSkew, supabaseOptions.Value, privateTopics, headersJson, databaseBroadcasts, logger).RunAsync(context.RequestAborted),
                connections, services.Router, rooms, lifetime);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Supabase WebSocket connection refused: {Code}")]
    private static partial void LogRefused(ILogger logger, string code);
}
