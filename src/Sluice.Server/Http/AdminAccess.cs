using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Sluice.Protocol;
using Sluice.Server.Hosting;

namespace Sluice.Server.Http;

/// <summary>
/// Who may use the admin API (and the dashboard's table toggles): with <see cref="SluiceOptions.AdminToken"/> set,
/// requests carrying it as <c>Authorization: Bearer</c> (or <c>X-Sluice-Admin-Token</c>); without one, only
/// requests from the loopback interface.
/// </summary>
public static class AdminAccess
{
    public const string HeaderName = "X-Sluice-Admin-Token";

    /// <summary>Null when the request may proceed; otherwise the status and error to answer with.</summary>
    public static (int Status, ErrorResponse Error)? Check(HttpContext context, IOptions<SluiceOptions> options)
    {
        var expected = options.Value.AdminToken;
        if (string.IsNullOrEmpty(expected))
        {
            var remote = context.Connection.RemoteIpAddress;
            return remote is null || IPAddress.IsLoopback(remote)
                ? null
                : (StatusCodes.Status403Forbidden, new ErrorResponse(
                    "the admin API is only open to loopback clients unless an admin token is configured (--admin-token or SLUICE_ADMIN_TOKEN)", ErrorCodes.Unauthorized));
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
