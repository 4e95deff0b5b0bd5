using System.Net;
using Microsoft.Net.Http.Headers;

namespace Sluice.Server.Http;

/// <summary>
/// What makes a request to the admin API one that a web page could not have sent on its own, when loopback access is the
/// only protection (no admin token): a browser visiting any site can reach <c>localhost</c>, with simple cross-site
/// requests or by rebinding its own name to 127.0.0.1. So the <c>Host</c> must be a loopback name, an <c>Origin</c> (or
/// <c>Sec-Fetch-Site</c>) must say same-origin, and a state-changing request must not be a CORS "simple" one.
/// </summary>
internal static class CrossSiteGuard
{
    /// <summary>Why the request is refused, or null.</summary>
    public static string? Refusal(HttpRequest request)
    {
        if (!IsLoopbackHost(request.Host))
            return $"the admin API without an admin token answers requests for a loopback host name only (localhost, 127.0.0.1, [::1]), not \"{request.Host.Host}\"";
        if (!IsSameOrigin(request))
            return "the admin API refuses cross-origin requests";
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && IsSimple(request))
            return "the admin API refuses requests a web page could send without asking: send Content-Type: application/json (or an admin token)";
        return null;
    }

    /// <summary>A Host header naming this machine's loopback interface: <c>localhost</c>, <c>*.localhost</c> or a loopback address.</summary>
    public static bool IsLoopbackHost(HostString host)
    {
        if (!host.HasValue)
            return false;
        var name = host.Host.TrimEnd('.');
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return true;
        return IPAddress.TryParse(name.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>No <c>Origin</c>, or the request's own; and no <c>Sec-Fetch-Site</c> saying another site sent it.</summary>
    private static bool IsSameOrigin(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite is "cross-site" or "same-site")
            return false;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
            return true;
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var from))
            return false; // "null" (an opaque origin) or garbage
        var port = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        return string.Equals(from.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(from.Host.Trim('[', ']'), request.Host.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
            && from.Port == port;
    }

    /// <summary>
    /// A request a page may send cross-site without a CORS preflight: no content type or a form/text one, and no header
    /// beyond the safelisted ones (the admin token headers are not).
    /// </summary>
    private static bool IsSimple(HttpRequest request)
    {
        if (request.Headers.Authorization.Count > 0 || request.Headers.ContainsKey(AdminAccess.HeaderName))
            return false;
        if (request.ContentType is not { Length: > 0 } contentType)
            return true;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var type))
            return true;
        return type.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || type.MediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase);
    }
}
