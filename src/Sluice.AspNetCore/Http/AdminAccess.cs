using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Sluice.Protocol;
using Sluice.Server.Hosting;

namespace Sluice.Server.Http;

/// <summary>
/// Who may use operator endpoints. With <see cref="SluiceOptions.AdminToken"/> set, every endpoint marked
/// <see cref="AdminOnly"/> needs it as <c>Authorization: Bearer</c> (or <c>X-Sluice-Admin-Token</c>). Without one, the admin
/// API answers loopback clients only — over TCP (a Unix socket client has no address and is not loopback), for a loopback
/// host name, same-origin and not as a CORS simple request (<see cref="CrossSiteGuard"/>) — while stats and metrics stay
/// open (<see cref="AdminOnly.OpenWithoutToken"/>). Anything not established (no address, an unknown host) is refused.
/// </summary>
internal static class AdminAccess
{
    public const string HeaderName = "X-Sluice-Admin-Token";

    /// <summary>The admin API: the token when configured, else loopback clients only.</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AdminOnly(OpenWithoutToken: false));

    /// <summary>Operator read endpoints (stats, metrics): the token when configured, else open.</summary>
    public static TBuilder RequireAdminTokenWhenConfigured<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AdminOnly(OpenWithoutToken: true));

    /// <summary>Refuses requests to <see cref="AdminOnly"/> endpoints that do not carry what <see cref="Check"/> asks for.</summary>
    public static IApplicationBuilder UseAdminAccess(this IApplicationBuilder app) =>
        app.Use(static async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<AdminOnly>() is { } rule
                && Check(context, context.RequestServices.GetRequiredService<IOptions<SluiceOptions>>().Value.AdminToken, rule) is { } refusal)
            {
                context.Response.StatusCode = refusal.Status;
                await context.Response.WriteAsJsonAsync(refusal.Error, ServerJsonContext.Default.ErrorResponse, cancellationToken: context.RequestAborted);
                return;
            }
            await next(context);
        });

    /// <summary>Null when the request may proceed; otherwise the status and error to answer with.</summary>
    public static (int Status, ErrorResponse Error)? Check(HttpContext context, string? expected, AdminOnly rule)
    {
        if (string.IsNullOrEmpty(expected))
        {
            if (rule.OpenWithoutToken)
                return null;
            var remote = context.Connection.RemoteIpAddress;
            if (remote is null || !IPAddress.IsLoopback(remote))
                return (StatusCodes.Status403Forbidden, new ErrorResponse(
                    "the admin API is only open to loopback clients over TCP unless an admin token is configured (--admin-token or SLUICE_ADMIN_TOKEN)", ErrorCodes.Unauthorized));
            return CrossSiteGuard.Refusal(context.Request) is { } refusal
                ? (StatusCodes.Status403Forbidden, new ErrorResponse(refusal, ErrorCodes.Forbidden))
                : null;
        }
        var presented = Presented(context.Request);
        if (presented is not null && FixedTimeEquals(presented, expected))
            return null;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"sluice-admin\"";
        return (StatusCodes.Status401Unauthorized, new ErrorResponse(
            presented is null ? "this needs the admin token (Authorization: Bearer …)" : "wrong admin token", ErrorCodes.Unauthorized));
    }

    private static string? Presented(HttpRequest request)
    {
        if (request.Headers[HeaderName] is { Count: > 0 } header && !string.IsNullOrEmpty(header[0]))
            return header[0];
        foreach (var value in request.Headers.Authorization)
        {
            if (value is not null && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                return value[7..].Trim();
        }
        return null;
    }

    private static bool FixedTimeEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
